import { cmd, eventsOf, given, T0, typesOf, violationCodes } from '../testing/custody-spec';
import { afterCommands, dir, gm, hoursAfter, mgr, people, person, zhang } from './item.fixtures';

const proposal = (over: Record<string, unknown> = {}) =>
  cmd(
    'ProposeClassification',
    {
      itemId: 'doc-ts',
      title: 'merger plan',
      level: 'TOP_SECRET',
      periodYears: 30,
      basis: 'catalogue 6.2',
      carrier: 'paper',
      scope: { persons: ['p-dir'] },
      copies: 1,
      copyAllowed: true,
      ...over,
    } as never,
    { actor: 'p-mgr' },
  );
const review = (actor: string, decision: 'endorse' | 'return' = 'endorse') =>
  cmd('ReviewClassification', { itemId: 'doc-ts', decision }, { actor });
const approve = (actor: string, at = hoursAfter(1)) =>
  cmd('ApproveClassification', { itemId: 'doc-ts' }, { actor, at });

describe('no item yet (004_d1fc20a45ee67265.txt 拟定→审核→批准→记录)', () => {
  // 004: 拟定 — the proposer is the actor; the item is a draft.
  it('records a proposal as a draft by the actor', () =>
    given(gm, dir, mgr)
      .when(proposal())
      .then((writes) => {
        expect(writes.map((w) => w.streamId)).toEqual(['item-doc-ts']);
        expect(eventsOf(writes)[0]).toMatchObject({
          type: 'ClassificationProposed',
          data: { itemId: 'doc-ts', proposedBy: 'p-mgr', level: 'TOP_SECRET', at: T0 },
        });
      }));

  // QX90 第3条: 秘密 at most 10 years.
  it('refuses an 11-year CONFIDENTIAL period', () =>
    given(mgr)
      .when(proposal({ level: 'CONFIDENTIAL', periodYears: 11, scope: { persons: [] } }))
      .thenThrows('PERIOD_EXCEEDS_MAXIMUM'));

  // QX90 第3条: declassifyOn is compared against the proposal instant + the maximum (绝密 30 years).
  it('refuses a TOP_SECRET declassifyOn beyond 30 years from the proposal', () =>
    given(mgr, dir)
      .when(proposal({ periodYears: undefined, declassifyOn: '2056-03-03T00:00:00.000Z' }))
      .thenThrows('PERIOD_EXCEEDS_MAXIMUM'));

  it('accepts a declassifyOn within the maximum', () =>
    given(mgr, dir)
      .when(proposal({ periodYears: undefined, declassifyOn: '2056-03-01T00:00:00.000Z' }))
      .then((writes) => expect(typesOf(writes)).toEqual(['ClassificationProposed'])));

  // contract §5: a person named in a command must be registered.
  it('refuses a scope naming an unregistered person', () => given(mgr).when(proposal()).thenThrows('UNKNOWN_PERSON'));

  // contract §5: a review needs a proposal.
  it('refuses a review of nothing', () => given(gm).when(review('p-gm')).thenThrows('NOT_PROPOSED'));
});

describe('a TOP_SECRET proposal by the manager', () => {
  const proposed = () => afterCommands([...people], proposal());

  // contract §5: ITEM_EXISTS — one item per id.
  it('refuses a second proposal of the same id', () =>
    given(...proposed())
      .when(proposal())
      .thenThrows('ITEM_EXISTS'));

  // 004 拟定→审核: anyone but the proposer reviews.
  it('refuses a review by the proposer', () =>
    given(...proposed())
      .when(review('p-mgr'))
      .thenThrows('SELF_REVIEW'));

  it('records a review by someone else', () =>
    given(...proposed())
      .when(review('p-dir'))
      .then((writes) =>
        expect(eventsOf(writes)).toEqual([
          {
            type: 'ClassificationReviewed',
            data: { itemId: 'doc-ts', decision: 'endorse', note: null, reviewedBy: 'p-dir', at: T0 },
          },
        ]),
      ));

  // 004 审核→批准: no approval before an endorsing review.
  it('refuses an approval before a review', () =>
    given(...proposed())
      .when(approve('p-gm'))
      .thenThrows('NOT_REVIEWED'));

  // contract §7: an approver must be a registered person.
  it('refuses an approval by an unregistered actor', () =>
    given(...afterCommands(proposed(), review('p-dir')))
      .when(approve('p-nobody'))
      .thenThrows('UNKNOWN_PERSON'));
});

describe('a reviewed TOP_SECRET proposal', () => {
  const reviewed = () => afterCommands([...people], proposal(), review('p-dir'));

  // contract §5: executive for TOP_SECRET/SECRET.
  it('refuses the director as approver', () =>
    given(...reviewed())
      .when(approve('p-dir'))
      .thenThrows('APPROVER_NOT_AUTHORIZED'));

  // contract §5: the proposer becomes custodian; the approval instant is the issue date the period counts from.
  it('makes the proposer custodian and counts the period from the approval', () =>
    given(...reviewed())
      .when(approve('p-gm', '2026-04-01T02:30:00.000Z'))
      .then((writes) =>
        expect(eventsOf(writes)).toEqual([
          {
            type: 'ItemClassified',
            data: {
              itemId: 'doc-ts',
              level: 'TOP_SECRET',
              approvedBy: 'p-gm',
              custodian: 'p-mgr',
              issuedAt: '2026-04-01T02:30:00.000Z',
              declassifyOn: '2056-04-01T02:30:00.000Z',
              at: '2026-04-01T02:30:00.000Z',
            },
          },
        ]),
      ));

  // 004: a return sends the proposal back; an approval then needs a new endorsing review.
  it('refuses an approval after the latest review returned it', () =>
    given(...afterCommands(reviewed(), review('p-gm', 'return')))
      .when(approve('p-gm'))
      .thenThrows('NOT_REVIEWED'));

  it('accepts a new proposal after a return', () =>
    given(...afterCommands(reviewed(), review('p-gm', 'return')))
      .when(proposal({ periodYears: 20 }))
      .then((writes) => expect(typesOf(writes)).toEqual(['ClassificationProposed'])));
});

describe('a CONFIDENTIAL proposal, reviewed', () => {
  const reviewed = () =>
    afterCommands([...people], proposal({ level: 'CONFIDENTIAL', periodYears: 10 }), review('p-gm'));

  // contract §5: director+ for CONFIDENTIAL.
  it('lets a director approve it', () =>
    given(...reviewed())
      .when(approve('p-dir'))
      .then((writes) => expect(typesOf(writes)).toEqual(['ItemClassified'])));
  it('refuses a manager as approver', () =>
    given(...reviewed())
      .when(approve('p-mgr'))
      .thenThrows('APPROVER_NOT_AUTHORIZED'));
});

describe('an approved classification', () => {
  const approved = () => afterCommands([...people], proposal(), review('p-dir'), approve('p-gm'));
  it('is no longer a proposal to approve', () =>
    given(...approved())
      .when(approve('p-gm'))
      .thenThrows('NOT_PROPOSED'));
});

describe('receiving an item (签收)', () => {
  const receive = (over: Record<string, unknown> = {}) =>
    cmd(
      'RegisterReceivedItem',
      {
        itemId: 'doc-1',
        title: 'directive 7',
        level: 'SECRET',
        periodYears: 10,
        basis: 'catalogue 2.1',
        carrier: 'paper',
        sender: 'superior office',
        receivedBy: 'p-zhang',
        scope: { persons: [] },
        copyNo: 3,
        ...over,
      } as never,
      { actor: 'p-zhang' },
    );

  // 001 (一)收文保密 / contract §5: custody starts with the receiver; the receipt instant is the issue date.
  it('starts custody with the receiver and counts the period from the receipt', () =>
    given(zhang)
      .when(receive())
      .then((writes) => {
        expect(violationCodes(writes)).toEqual([]);
        expect(eventsOf(writes)[0]).toMatchObject({
          type: 'ItemReceived',
          data: { receivedBy: 'p-zhang', issuedAt: T0, declassifyOn: '2036-03-02T09:00:00.000Z', copyNo: 3 },
        });
      }));

  // QX90 第3条: a period beyond the maximum is a fact to flag, not to refuse.
  it('records a 25-year SECRET period and flags PERIOD_INVALID', () =>
    given(zhang)
      .when(receive({ periodYears: 25 }))
      .then((writes) => {
        expect(typesOf(writes)).toEqual(['ItemReceived', 'ViolationDetected']);
        expect(violationCodes(writes)).toEqual(['PERIOD_INVALID']);
      }));

  // contract §5: ITEM_EXISTS is refused.
  it('refuses an id already registered', () =>
    given(...afterCommands([zhang], receive()))
      .when(receive())
      .thenThrows('ITEM_EXISTS'));

  // contract §5: the receiver must be registered.
  it('refuses an unregistered receiver', () =>
    given(person('p-x', 'staff', 'SECRET'))
      .when(receive())
      .thenThrows('UNKNOWN_PERSON'));

  it('refuses a receipt with no period at all', () =>
    given(zhang)
      .when(receive({ periodYears: undefined }))
      .thenThrows('INVALID_COMMAND'));
});
