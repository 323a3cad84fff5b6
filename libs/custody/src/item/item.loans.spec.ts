import { cmd, eventsOf, given, T0, typesOf, violationCodes } from '../testing/custody-spec';
import { afterCommands, departed, people, person, places, received } from './item.fixtures';

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

  // DESIGN §5: a return gives custody back to the lender.
  it('returns custody to the lender', () =>
    given(...onLoan())
      .when(cmd('RecordReturn', { itemId: 'doc-1', loanId: 'l-1' }))
      .then((writes) =>
        expect(eventsOf(writes)).toEqual([
          { type: 'ItemReturned', data: { itemId: 'doc-1', loanId: 'l-1', returnedTo: 'p-zhang', at: T0 } },
        ]),
      ));

  it('refuses a return of another loan', () =>
    given(...onLoan())
      .when(cmd('RecordReturn', { itemId: 'doc-1', loanId: 'l-9' }))
      .thenThrows('INVALID_COMMAND'));

  // 001 (九)清查保密: 借出去的应按时清退 — flagged at dueAt when not returned.
  it('flags LOAN_OVERDUE at the due instant, once', () => {
    const fire = cmd(
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
});
