import { T0 } from '../testing/custody-spec';
import { addHours, addYears, itemDeadlineChanges } from './item.deadlines';

const stored = (type: string, data: Record<string, unknown>, revision = 3) => ({
  streamId: 'item-doc-1',
  revision,
  type,
  data: { itemId: 'doc-1', at: T0, ...data },
  occurredAt: T0,
});

describe('date arithmetic', () => {
  it('adds hours exactly', () => expect(addHours(T0, 48)).toBe('2026-03-04T09:00:00.000Z'));
  it('adds calendar years in UTC, clamping 29 February', () => {
    expect(addYears(T0, 1)).toBe('2027-03-02T09:00:00.000Z');
    expect(addYears('2028-02-29T00:00:00.000Z', 1)).toBe('2029-02-28T00:00:00.000Z');
    expect(addYears(T0, -1)).toBe('2025-03-02T09:00:00.000Z');
  });
});

describe('item deadlines', () => {
  // 001 (一)收文保密 / contract §5: a receipt is due 48 h after the dispatch.
  it('sets RECEIPT_MISSING 48 h after a dispatch, with the dispatch revision', () =>
    expect(itemDeadlineChanges(stored('ItemDispatched', {}, 5))).toEqual({
      set: [
        {
          key: 'RECEIPT_MISSING:item-doc-1',
          kind: 'RECEIPT_MISSING',
          streamId: 'item-doc-1',
          dueAt: '2026-03-04T09:00:00.000Z',
          itemId: 'doc-1',
          ref: '5',
        },
      ],
      clear: [],
    }));

  it('clears RECEIPT_MISSING on the receipt and on its flag', () => {
    expect(itemDeadlineChanges(stored('ReceiptAcknowledged', { by: 'p-gm' })).clear).toEqual([
      'RECEIPT_MISSING:item-doc-1',
    ]);
    expect(itemDeadlineChanges(stored('ViolationDetected', { code: 'RECEIPT_MISSING' })).clear).toEqual([
      'RECEIPT_MISSING:item-doc-1',
    ]);
  });

  // BG99 第2条 (b) / contract §5.1 point 10: a gate exit is due back within 24 h; the way back clears it.
  it('sets ITEM_NOT_BROUGHT_BACK 24 h after a gate exit and clears it when the item comes back', () => {
    expect(itemDeadlineChanges(stored('GatePassed', { gate: 'east', direction: 'out' }, 7))).toEqual({
      set: [
        {
          key: 'ITEM_NOT_BROUGHT_BACK:item-doc-1',
          kind: 'ITEM_NOT_BROUGHT_BACK',
          streamId: 'item-doc-1',
          dueAt: '2026-03-03T09:00:00.000Z',
          itemId: 'doc-1',
          ref: '7',
        },
      ],
      clear: [],
    });
    for (const [type, data] of [
      ['GatePassed', { gate: 'east', direction: 'in' }],
      ['ItemBroughtBack', { person: 'p-zhang', placeId: null }],
      ['ItemReturned', { loanId: 'l-1' }],
      ['ItemArchived', { placeId: 'vault-1', keeper: 'p-keeper' }],
      ['ViolationDetected', { code: 'ITEM_NOT_BROUGHT_BACK' }],
    ] as const)
      expect(itemDeadlineChanges(stored(type, data)).clear).toContain('ITEM_NOT_BROUGHT_BACK:item-doc-1');
  });

  // 001 (九)清查保密: 借出去的应按时清退.
  it("sets LOAN_OVERDUE at the loan's due date and clears it on return", () => {
    expect(itemDeadlineChanges(stored('ItemLent', { loanId: 'l-1', dueAt: '2026-03-09T00:00:00.000Z' })).set).toEqual([
      {
        key: 'LOAN_OVERDUE:item-doc-1',
        kind: 'LOAN_OVERDUE',
        streamId: 'item-doc-1',
        dueAt: '2026-03-09T00:00:00.000Z',
        itemId: 'doc-1',
        ref: 'l-1',
      },
    ]);
    expect(itemDeadlineChanges(stored('ItemReturned', { loanId: 'l-1' })).clear).toEqual([
      'LOAN_OVERDUE:item-doc-1',
      'ITEM_NOT_BROUGHT_BACK:item-doc-1',
    ]);
  });

  // 保密法 第24条: declassified at the end of the period; TOP_SECRET inventoried within a year of issue (001 (九)).
  it('sets DECLASSIFY and, for TOP_SECRET, TS_INVENTORY_OVERDUE on issue', () => {
    const changes = itemDeadlineChanges(
      stored('ItemReceived', { level: 'TOP_SECRET', issuedAt: T0, declassifyOn: '2046-03-02T09:00:00.000Z' }),
    );
    expect(changes.set.map((d) => [d.key, d.dueAt])).toEqual([
      ['DECLASSIFY:item-doc-1', '2046-03-02T09:00:00.000Z'],
      ['TS_INVENTORY_OVERDUE:item-doc-1', '2027-03-02T09:00:00.000Z'],
    ]);
    expect(
      itemDeadlineChanges(
        stored('ItemClassified', { level: 'SECRET', issuedAt: T0, declassifyOn: '2036-03-02T09:00:00.000Z' }),
      ).set.map((d) => d.kind),
    ).toEqual(['DECLASSIFY']);
  });

  // 001 (九)清查保密 with (三)5 复印件等同原件管理: a TOP_SECRET copy made months after its original's issue owes its
  // first inventory a year after it was made, and no declassification of its own (contract §5.1 point 4).
  it("sets a TOP_SECRET copy's first inventory a year after the copy was made", () =>
    expect(
      itemDeadlineChanges(
        stored('CopyRegistered', {
          level: 'TOP_SECRET',
          copyOf: 'doc-0',
          issuedAt: '2025-11-02T00:00:00.000Z',
          declassifyOn: '2035-11-02T00:00:00.000Z',
        }),
      ).set.map((d) => [d.key, d.dueAt]),
    ).toEqual([['TS_INVENTORY_OVERDUE:item-doc-1', '2027-03-02T09:00:00.000Z']]));

  it('re-sets DECLASSIFY on an extension', () =>
    expect(
      itemDeadlineChanges(stored('SecrecyPeriodExtended', { newDeclassifyOn: '2040-01-01T00:00:00.000Z' })).set.map(
        (d) => [d.key, d.dueAt],
      ),
    ).toEqual([['DECLASSIFY:item-doc-1', '2040-01-01T00:00:00.000Z']]));

  it('sets the next TOP_SECRET inventory a year after a missed one', () =>
    expect(
      itemDeadlineChanges(
        stored('ViolationDetected', { code: 'TS_INVENTORY_OVERDUE', at: '2027-03-02T09:00:00.000Z' }),
      ).set.map((d) => d.dueAt),
    ).toEqual(['2028-03-02T09:00:00.000Z']));

  it('clears every obligation of a destroyed item', () =>
    expect(itemDeadlineChanges(stored('ItemDestroyed', {})).clear.sort()).toEqual([
      'DECLASSIFY:item-doc-1',
      'ITEM_NOT_BROUGHT_BACK:item-doc-1',
      'LOAN_OVERDUE:item-doc-1',
      'RECEIPT_MISSING:item-doc-1',
      'TS_INVENTORY_OVERDUE:item-doc-1',
    ]));

  it('changes nothing for a reading', () =>
    expect(itemDeadlineChanges(stored('ItemRead', {}))).toEqual({ set: [], clear: [] }));
});
