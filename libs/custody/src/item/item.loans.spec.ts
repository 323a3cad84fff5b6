import { cmd, eventsOf, given, T0, typesOf, violationCodes } from '../testing/custody-spec';
import { afterCommands, departed, onItem, people, person, places, received } from './item.fixtures';

// Zhang (office) holds the item; Liu (sales, director, SECRET) borrows it.
const liu = person('p-liu', 'director', 'SECRET', { unit: 'sales' });
const officeMgr = person('p-omgr', 'manager', 'SECRET', { unit: 'office' });
const salesMgr = person('p-smgr', 'manager', 'SECRET', { unit: 'sales' });
const thirdMgr = person('p-tmgr', 'manager', 'SECRET', { unit: 'plant' });
const base = [...people, ...places, liu, officeMgr, salesMgr, thirdMgr, received('doc-1')];
const DUE = '2026-03-09T09:00:00.000Z';
const approveLoan = (actor: string, borrower = 'p-liu') =>
  cmd('ApproveLoan', { itemId: 'doc-1', loanId: 'l-1', borrower, dueAt: DUE }, { actor });
const lend = (borrower = 'p-liu') =>
  cmd('RecordLoan', { itemId: 'doc-1', loanId: 'l-1', borrower, dueAt: DUE }, { actor: 'p-zhang' });

describe('approving a loan across units (002_c292fe519fc09962.txt 第22条)', () => {
  // 第22条: 借阅方和提供方领导签字批准 — manager+ only.
  it('refuses a staff member', () =>
    given(...base)
      .when(approveLoan('p-zhang'))
      .thenThrows('APPROVER_NOT_AUTHORIZED'));

  it('refuses a manager of neither unit', () =>
    given(...base)
      .when(approveLoan('p-tmgr'))
      .thenThrows('APPROVER_NOT_AUTHORIZED'));

  it("records the lending unit's manager approving for the office", () =>
    given(...base)
      .when(approveLoan('p-omgr'))
      .then((writes) =>
        expect(eventsOf(writes)[0]).toMatchObject({
          type: 'LoanApproved',
          data: { loanId: 'l-1', borrower: 'p-liu', unit: 'office', covers: ['office'] },
        }),
      ));

  it('appends nothing when the same unit approves again', () =>
    given(...afterCommands(base, approveLoan('p-omgr')))
      .when(approveLoan('p-omgr'))
      .then((w) => expect(w).toEqual([])));

  it('refuses an unregistered borrower', () =>
    given(...base)
      .when(approveLoan('p-omgr', 'p-ghost'))
      .thenThrows('UNKNOWN_PERSON'));
});

describe('lending the item', () => {
  // 第22条: one side's approval is not enough.
  it('flags LOAN_UNAPPROVED with only the lending unit approving', () =>
    given(...afterCommands(base, approveLoan('p-omgr')))
      .when(lend())
      .then((writes) => expect(violationCodes(writes)).toEqual(['LOAN_UNAPPROVED'])));

  it('flags nothing with both units approving, and hands custody to the borrower', () =>
    given(...afterCommands(base, approveLoan('p-omgr'), approveLoan('p-smgr')))
      .when(lend())
      .then((writes) => {
        expect(violationCodes(writes)).toEqual([]);
        expect(eventsOf(writes)).toEqual([
          {
            type: 'ItemLent',
            data: {
              itemId: 'doc-1',
              loanId: 'l-1',
              lender: 'p-zhang',
              borrower: 'p-liu',
              dueAt: DUE,
              approved: true,
              at: T0,
            },
          },
        ]);
      }));

  // An executive leads every unit (our reading of 第22条 "领导").
  it('counts the general manager for both units', () =>
    given(...afterCommands(base, approveLoan('p-gm')))
      .when(lend())
      .then((writes) => expect(violationCodes(writes)).toEqual([])));

  // 第25条 3: 秘密文件仅限下发范围内人员借阅 — a borrower outside the scope is a leak.
  it('flags OUT_OF_SCOPE_ACCESS and LOAN_UNAPPROVED for the driver, opening a leak incident', () =>
    given(...base)
      .when(lend('p-driver'))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['LOAN_UNAPPROVED', 'OUT_OF_SCOPE_ACCESS']);
        expect(eventsOf(writes).find((e) => e.type === 'IncidentOpened')?.data).toMatchObject({ kind: 'leak' });
      }));

  it('flags ACCESS_AFTER_DEPARTURE for a departed borrower', () =>
    given(...afterCommands(base, approveLoan('p-gm')), departed('p-liu'))
      .when(lend())
      .then((writes) => expect(violationCodes(writes)).toEqual(['ACCESS_AFTER_DEPARTURE'])));
});

describe('an item on loan to Liu', () => {
  const onLoan = () => afterCommands(base, approveLoan('p-gm'), lend());
  /** The scheduler firing loan l-1's due instant. */
  const fireLoanOverdue = () =>
    cmd(
      'FireDeadline',
      {
        deadline: {
          key: 'LOAN_OVERDUE:item-doc-1',
          kind: 'LOAN_OVERDUE',
          streamId: 'item-doc-1',
          dueAt: DUE,
          itemId: 'doc-1',
          ref: 'l-1',
        },
      },
      { actor: 'scheduler', at: DUE },
    );

  // contract §5: a return gives custody back to the lender.
  it('returns custody to the lender', () =>
    given(...onLoan())
      .when(cmd('RecordReturn', { itemId: 'doc-1', loanId: 'l-1' }))
      .then((writes) =>
        expect(eventsOf(writes)).toEqual([
          { type: 'ItemReturned', data: { itemId: 'doc-1', loanId: 'l-1', returnedTo: 'p-zhang', at: T0 } },
        ]),
      ));

  // contract §5.1 point 6: a return is a fact; one of a loan the ledger never recorded is flagged, not refused.
  it('records a return of another loan as LOAN_UNRECORDED, the item with whoever took it back', () =>
    given(...onLoan())
      .when(cmd('RecordReturn', { itemId: 'doc-1', loanId: 'l-9', receivedBy: 'p-omgr' }))
      .then((writes) => {
        expect(eventsOf(writes)[0]).toEqual({
          type: 'ItemReturned',
          data: { itemId: 'doc-1', loanId: 'l-9', returnedTo: 'p-omgr', unrecorded: true, at: T0 },
        });
        expect(violationCodes(writes)).toEqual(['LOAN_UNRECORDED']);
      }));

  // 001 (九)清查保密: 借出去的应按时清退 — flagged at dueAt when not returned.
  it('flags LOAN_OVERDUE at the due instant, once', () => {
    const fire = fireLoanOverdue();
    given(...onLoan())
      .when(fire)
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['LOAN_OVERDUE']);
        expect(eventsOf(writes)[0].data).toMatchObject({ personId: 'p-liu', at: DUE });
      });
    given(...afterCommands(onLoan(), fire))
      .when(fire)
      .then((writes) => expect(writes).toEqual([]));
    given(...afterCommands(onLoan(), cmd('RecordReturn', { itemId: 'doc-1', loanId: 'l-1' })))
      .when(fire)
      .then((writes) => expect(typesOf(writes)).toEqual([]));
  });

  // 保密法 第24条 自行解密: the period ended while it was out — no state secret any more, no overdue return to flag
  // (a declassified item's facts flag nothing; nor do its deadlines).
  it('flags nothing at the due instant when the item was declassified meanwhile', () =>
    given(
      ...afterCommands(
        onLoan(),
        cmd('RecordOriginatorNotice', { itemId: 'doc-1', decision: 'declassified', noticeRef: 'n-1' }),
      ),
    )
      .when(fireLoanOverdue())
      .then((writes) => expect(writes).toEqual([])));

  // contract §5.1 2 (as for a report entered late): a return made by the due instant, typed in after the flag fired.
  it('resolves LOAN_OVERDUE when a return made in time is entered after it fired, and only then', () => {
    const fire = fireLoanOverdue();
    const flagged = afterCommands(onLoan(), fire);
    const back = (at: string) => cmd('RecordReturn', { itemId: 'doc-1', loanId: 'l-1' }, { actor: 'p-liu', at });
    given(...flagged)
      .when(back('2026-03-09T08:00:00.000Z'))
      .then((writes) => {
        expect(typesOf(writes)).toEqual(['ItemReturned', 'ViolationResolved']);
        expect(eventsOf(writes)[1].data).toMatchObject({
          violationId: `${fire.commandId}:LOAN_OVERDUE:doc-1`,
          resolvedBy: 'p-liu',
          at: '2026-03-09T08:00:00.000Z',
        });
      });
    given(...flagged)
      .when(back('2026-03-09T10:00:00.000Z'))
      .then((writes) => expect(typesOf(writes)).toEqual(['ItemReturned']));
    // already resolved by a secrecy officer: nothing left to resolve
    given(
      ...flagged,
      onItem('doc-1', 'ViolationResolved', {
        violationId: `${fire.commandId}:LOAN_OVERDUE:doc-1`,
        note: 'seen',
        resolvedBy: 'p-sec',
      }),
    )
      .when(back('2026-03-09T08:00:00.000Z'))
      .then((writes) => expect(typesOf(writes)).toEqual(['ItemReturned']));
  });
});

describe('a loan approval is used up by its loan (contract §5.1 point 6; 002_c292fe519fc09962.txt 第22条)', () => {
  const lentAndBack = () =>
    afterCommands(base, approveLoan('p-gm'), lend(), cmd('RecordReturn', { itemId: 'doc-1', loanId: 'l-1' }));

  it('flags a second loan on the same approval LOAN_UNAPPROVED', () =>
    given(...lentAndBack())
      .when(lend())
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['LOAN_UNAPPROVED']);
        expect(eventsOf(writes)[0]).toMatchObject({ type: 'ItemLent', data: { approved: false } });
      }));

  it('accepts a fresh approval under the same id for the second loan', () =>
    given(...afterCommands(lentAndBack(), approveLoan('p-gm')))
      .when(lend())
      .then((writes) => expect(violationCodes(writes)).toEqual([])));

  // The approval names its due date: a loan for longer is recorded and flagged (medium).
  it('flags LOAN_TERM_EXCEEDED for a due date beyond the approved one', () =>
    given(...afterCommands(base, approveLoan('p-gm')))
      .when(
        cmd(
          'RecordLoan',
          { itemId: 'doc-1', loanId: 'l-1', borrower: 'p-liu', dueAt: '2026-03-20T09:00:00.000Z' },
          { actor: 'p-zhang' },
        ),
      )
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['LOAN_TERM_EXCEEDED']);
        expect(eventsOf(writes)[1]).toMatchObject({ data: { severity: 'medium', personId: 'p-liu' } });
      }));
});

describe('a longer term on a one-sided approval', () => {
  it('flags both LOAN_UNAPPROVED and LOAN_TERM_EXCEEDED', () =>
    given(...afterCommands(base, approveLoan('p-omgr')))
      .when(
        cmd(
          'RecordLoan',
          { itemId: 'doc-1', loanId: 'l-1', borrower: 'p-liu', dueAt: '2026-03-20T09:00:00.000Z' },
          { actor: 'p-zhang' },
        ),
      )
      .then((writes) => expect(violationCodes(writes)).toEqual(['LOAN_UNAPPROVED', 'LOAN_TERM_EXCEEDED'])));
});

describe('a handover while the item is out on loan (S1 (七); 002_c292fe519fc09962.txt 第30条; contract §5.1 point 6)', () => {
  // Zhang lends to Liu, then hands his items over to the office manager before he leaves.
  const handedOver = () =>
    afterCommands(
      base,
      approveLoan('p-gm'),
      lend(),
      cmd('HandOver', {
        handoverId: 'h-1',
        from: 'p-zhang',
        to: 'p-omgr',
        items: ['doc-1'],
        itemized: true,
        signedByBoth: true,
        supervisor: 'p-dir',
      }),
    );

  it('leaves custody with the borrower and records whose it is now', () =>
    given(...afterCommands(base, approveLoan('p-gm'), lend()))
      .when(
        cmd('HandOver', {
          handoverId: 'h-1',
          from: 'p-zhang',
          to: 'p-omgr',
          items: ['doc-1'],
          itemized: true,
          signedByBoth: true,
          supervisor: 'p-dir',
        }),
      )
      .then((writes) =>
        expect(eventsOf(writes)).toEqual([
          expect.objectContaining({ type: 'ItemHandedOver', data: expect.objectContaining({ onLoanTo: 'p-liu' }) }),
        ]),
      ));

  // The borrower passing it on is a custody move; the loan (and whom it goes back to) stays.
  it('moves custody when the borrower hands it over', () =>
    given(...afterCommands(base, approveLoan('p-gm'), lend()))
      .when(
        cmd('HandOver', {
          handoverId: 'h-2',
          from: 'p-liu',
          to: 'p-smgr',
          items: ['doc-1'],
          itemized: true,
          signedByBoth: true,
          supervisor: 'p-dir',
        }),
      )
      .then((writes) => expect(eventsOf(writes)[0].data).not.toHaveProperty('onLoanTo')));

  it('returns the item to the new holder of record, not the former lender', () =>
    given(...handedOver())
      .when(cmd('RecordReturn', { itemId: 'doc-1', loanId: 'l-1' }))
      .then((writes) =>
        expect(eventsOf(writes)).toEqual([
          { type: 'ItemReturned', data: { itemId: 'doc-1', loanId: 'l-1', returnedTo: 'p-omgr', at: T0 } },
        ]),
      ));
});

describe('a return of a loan the ledger never recorded (contract §5.1 point 6)', () => {
  // Zhang's item comes back from a loan nobody entered; the registrar (a registered person) takes it.
  it("records it, gives custody to the actor's person and flags LOAN_UNRECORDED (medium)", () =>
    given(...base)
      .when(cmd('RecordReturn', { itemId: 'doc-1', loanId: 'paper-slip-17' }, { actor: 'p-omgr' }))
      .then((writes) => {
        expect(eventsOf(writes)[0]).toEqual({
          type: 'ItemReturned',
          data: { itemId: 'doc-1', loanId: 'paper-slip-17', returnedTo: 'p-omgr', unrecorded: true, at: T0 },
        });
        expect(violationCodes(writes)).toEqual(['LOAN_UNRECORDED']);
        expect(eventsOf(writes)[1]).toMatchObject({ data: { severity: 'medium' } });
      }));

  it('refuses an unregistered receivedBy', () =>
    given(...base)
      .when(cmd('RecordReturn', { itemId: 'doc-1', loanId: 'x', receivedBy: 'p-ghost' }))
      .thenThrows('UNKNOWN_PERSON'));
});
