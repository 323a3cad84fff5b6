import { cmd, eventsOf, given, T0, typesOf, violationCodes } from '../testing/custody-spec';
import type { Deadline } from '../commands';
import { afterCommands, onItem, people, places, received } from './item.fixtures';

// doc-1: SECRET, received at T0 (2026-03-02T09:00Z), period ends 2036-03-02T09:00Z. doc-c: classified by p-dir.
const END = '2036-03-02T09:00:00.000Z';
const classifiedByDir = onItem('doc-c', 'ItemClassified', {
  level: 'CONFIDENTIAL',
  approvedBy: 'p-dir',
  custodian: 'p-mgr',
  issuedAt: T0,
  declassifyOn: '2031-03-02T09:00:00.000Z',
});
const draftC = onItem('doc-c', 'ClassificationProposed', {
  title: 'c',
  level: 'CONFIDENTIAL',
  periodYears: 5,
  declassifyOn: null,
  basis: 'b',
  carrier: 'paper',
  scope: { persons: [] },
  copies: null,
  copyAllowed: true,
  proposedBy: 'p-mgr',
});
const base = [...people, ...places, received('doc-1'), draftC, classifiedByDir];
const extend = (actor: string, newDeclassifyOn: string, at = T0, itemId = 'doc-1') =>
  cmd('ExtendSecrecyPeriod', { itemId, newDeclassifyOn }, { actor, at });
const fire = (deadline: Partial<Deadline> & Pick<Deadline, 'kind' | 'dueAt'>, itemId = 'doc-1') =>
  cmd(
    'FireDeadline',
    { deadline: { key: `${deadline.kind}:item-${itemId}`, streamId: `item-${itemId}`, itemId, ...deadline } },
    { actor: 'scheduler', at: deadline.dueAt },
  );

describe('extending the secrecy period (保密法 第24条)', () => {
  it('records an executive extending it before expiry', () =>
    given(...base)
      .when(extend('p-gm', '2040-01-01T00:00:00.000Z'))
      .then((writes) =>
        expect(eventsOf(writes)).toEqual([
          {
            type: 'SecrecyPeriodExtended',
            data: {
              itemId: 'doc-1',
              previousDeclassifyOn: END,
              newDeclassifyOn: '2040-01-01T00:00:00.000Z',
              approvedBy: 'p-gm',
              at: T0,
            },
          },
        ]),
      ));

  // contract §5: only the classification's approver or an executive.
  it('refuses a director who did not classify it', () =>
    given(...base)
      .when(extend('p-dir', '2040-01-01T00:00:00.000Z'))
      .thenThrows('APPROVER_NOT_AUTHORIZED'));
  it('lets the director who classified it extend it', () =>
    given(...base)
      .when(extend('p-dir', '2034-01-01T00:00:00.000Z', T0, 'doc-c'))
      .then((w) => expect(typesOf(w)).toEqual(['SecrecyPeriodExtended'])));

  // 保密法 第24条: decided before expiry, else refused.
  it('refuses an extension at or after expiry', () =>
    given(...base)
      .when(extend('p-gm', '2040-01-01T00:00:00.000Z', END))
      .thenThrows('PERIOD_ALREADY_EXPIRED'));

  it('refuses an extension of a declassified item', () =>
    given(...base, onItem('doc-1', 'ItemDeclassified', { reason: 'r', automatic: false, by: 'p-gm' }))
      .when(extend('p-gm', '2040-01-01T00:00:00.000Z'))
      .thenThrows('PERIOD_ALREADY_EXPIRED'));

  // QX90 第3条: 机密 ≤ 20 years counted from the issue date.
  it('refuses an end beyond 20 years from the issue date of a SECRET item', () =>
    given(...base)
      .when(extend('p-gm', '2046-03-02T09:00:01.000Z'))
      .thenThrows('PERIOD_EXCEEDS_MAXIMUM'));
  it('accepts exactly 20 years from the issue date', () =>
    given(...base)
      .when(extend('p-gm', '2046-03-02T09:00:00.000Z'))
      .then((w) => expect(typesOf(w)).toEqual(['SecrecyPeriodExtended'])));

  it('refuses an extension of a draft', () =>
    given(...people, draftC)
      .when(extend('p-gm', '2040-01-01T00:00:00.000Z', T0, 'doc-c'))
      .thenThrows('NOT_CLASSIFIED'));
});

describe('declassifying and changing the level', () => {
  // 保密法 第24条: by the classifier or a superior (contract §5: as for extensions).
  it('records a declassification by an executive', () =>
    given(...base)
      .when(cmd('DeclassifyItem', { itemId: 'doc-1', reason: 'published' }, { actor: 'p-gm' }))
      .then((writes) =>
        expect(eventsOf(writes)).toEqual([
          {
            type: 'ItemDeclassified',
            data: { itemId: 'doc-1', reason: 'published', automatic: false, by: 'p-gm', at: T0 },
          },
        ]),
      ));
  it('refuses a declassification by a director who did not classify it', () =>
    given(...base)
      .when(cmd('DeclassifyItem', { itemId: 'doc-1', reason: 'r' }, { actor: 'p-dir' }))
      .thenThrows('APPROVER_NOT_AUTHORIZED'));
  it('records a level change by the classifier', () =>
    given(...base)
      .when(cmd('ChangeLevel', { itemId: 'doc-c', level: 'SECRET' }, { actor: 'p-dir' }))
      .then((writes) =>
        expect(eventsOf(writes)[0]).toMatchObject({
          type: 'LevelChanged',
          data: { from: 'CONFIDENTIAL', to: 'SECRET', approvedBy: 'p-dir' },
        }),
      ));
  it('refuses a level change by a manager', () =>
    given(...base)
      .when(cmd('ChangeLevel', { itemId: 'doc-c', level: 'SECRET' }, { actor: 'p-mgr' }))
      .thenThrows('APPROVER_NOT_AUTHORIZED'));
  it('appends nothing for a change to the same level', () =>
    given(...base)
      .when(cmd('ChangeLevel', { itemId: 'doc-c', level: 'CONFIDENTIAL' }, { actor: 'p-gm' }))
      .then((w) => expect(w).toEqual([])));
  // 保密法 第24条: after declassification nothing is secret any more — a reading outside the scope flags nothing.
  it('flags nothing when the driver reads a declassified item', () =>
    given(...base, onItem('doc-1', 'ItemDeclassified', { reason: 'r', automatic: true, by: null }))
      .when(cmd('RecordReading', { itemId: 'doc-1', reader: 'p-driver', placeId: 'room-1' }))
      .then((w) => expect(violationCodes(w)).toEqual([])));
});

describe('the end of the secrecy period (保密法 第24条: 保密期限已满的, 自行解密)', () => {
  it('declassifies automatically at the due instant', () =>
    given(...base)
      .when(fire({ kind: 'DECLASSIFY', dueAt: END }))
      .then((writes) =>
        expect(eventsOf(writes)).toEqual([
          {
            type: 'ItemDeclassified',
            data: { itemId: 'doc-1', reason: 'secrecy period expired', automatic: true, by: null, at: END },
          },
        ]),
      ));

  it('does nothing when the period was extended before it', () =>
    given(...afterCommands(base, extend('p-gm', '2040-01-01T00:00:00.000Z')))
      .when(fire({ kind: 'DECLASSIFY', dueAt: END }))
      .then((w) => expect(w).toEqual([])));

  it('does nothing twice', () =>
    given(...afterCommands(base, fire({ kind: 'DECLASSIFY', dueAt: END })))
      .when(fire({ kind: 'DECLASSIFY', dueAt: END }))
      .then((w) => expect(w).toEqual([])));
});

describe('a dispatch awaiting its receipt (001 (一)收文保密: 件件有着落)', () => {
  const DISPATCHED = '2026-05-04T06:00:00.000Z';
  const DUE = '2026-05-06T06:00:00.000Z';
  const dispatched = () =>
    afterCommands(
      base,
      cmd('DispatchItem', { itemId: 'doc-1', to: 'p-gm', channel: 'courier', couriers: ['p-mgr'] }, { at: DISPATCHED }),
    );
  const receiptMissing = fire({ kind: 'RECEIPT_MISSING', dueAt: DUE, ref: '1' });

  it('flags RECEIPT_MISSING 48 h after the dispatch, naming the addressee', () =>
    given(...dispatched())
      .when(receiptMissing)
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['RECEIPT_MISSING']);
        expect(eventsOf(writes)[0].data).toMatchObject({ personId: 'p-gm', at: DUE, severity: 'medium' });
      }));

  it('flags it exactly once', () =>
    given(...afterCommands(dispatched(), receiptMissing))
      .when(receiptMissing)
      .then((w) => expect(w).toEqual([])));

  it('flags nothing once the receipt is in', () =>
    given(
      ...afterCommands(
        dispatched(),
        cmd('AcknowledgeReceipt', { itemId: 'doc-1', by: 'p-gm' }, { at: '2026-05-05T00:00:00.000Z' }),
      ),
    )
      .when(receiptMissing)
      .then((w) => expect(w).toEqual([])));

  it('flags nothing for an earlier dispatch than the pending one', () =>
    given(...dispatched())
      .when(fire({ kind: 'RECEIPT_MISSING', dueAt: DUE, ref: '0' }))
      .then((w) => expect(w).toEqual([])));

  // contract §5: a receipt after the flag is still recorded.
  it('still records a late receipt', () =>
    given(...afterCommands(dispatched(), receiptMissing))
      .when(cmd('AcknowledgeReceipt', { itemId: 'doc-1', by: 'p-gm' }, { at: '2026-05-07T00:00:00.000Z' }))
      .then((w) => expect(typesOf(w)).toEqual(['ReceiptAcknowledged'])));
});

describe('a TOP_SECRET item not sighted for a year (001 (九)清查保密)', () => {
  const ts = received('doc-ts', { level: 'TOP_SECRET', receivedBy: 'p-gm' });
  const DUE = '2027-03-02T09:00:00.000Z';
  const overdue = fire({ kind: 'TS_INVENTORY_OVERDUE', dueAt: DUE }, 'doc-ts');

  it('flags TS_INVENTORY_OVERDUE, naming the custodian', () =>
    given(...people, ts)
      .when(overdue)
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['TS_INVENTORY_OVERDUE']);
        expect(eventsOf(writes)[0].data).toMatchObject({ personId: 'p-gm', at: DUE });
      }));

  it('flags it once per due instant', () =>
    given(...afterCommands([...people, ts], overdue))
      .when(overdue)
      .then((w) => expect(w).toEqual([])));

  it('flags nothing for an item no longer TOP_SECRET', () =>
    given(
      ...people,
      ts,
      onItem('doc-ts', 'LevelChanged', { from: 'TOP_SECRET', to: 'SECRET', reason: null, approvedBy: 'p-gm' }),
    )
      .when(overdue)
      .then((w) => expect(w).toEqual([])));

  it('flags nothing for an item sighted within the year', () =>
    given(...people, ts, onItem('doc-ts', 'ItemSighted', { inventoryId: 'inv-1', at: '2026-12-01T00:00:00.000Z' }))
      .when(overdue)
      .then((w) => expect(w).toEqual([])));

  it('ignores deadlines of an item that does not exist', () =>
    given(...people)
      .when(fire({ kind: 'TS_INVENTORY_OVERDUE', dueAt: DUE }, 'doc-none'))
      .then((w) => expect(w).toEqual([])));
});
