import { deadlineChanges } from './deadlines';

const stored = (
  streamId: string,
  type: string,
  data: Record<string, unknown>,
  occurredAt = '2026-03-02T11:00:00.000Z',
) => ({ streamId, revision: 0, type, data, occurredAt });

describe('an incident opened at 11:00 on 2 March', () => {
  const opened = stored('incident-inc-1', 'IncidentOpened', {
    incidentId: 'inc-1',
    kind: 'loss',
    itemIds: ['doc-1'],
    discoveredAt: '2026-03-02T11:00:00Z',
    discoveredBy: 'p-zhang',
    description: 'x',
    causes: [],
    at: '2026-03-02T11:00:00Z',
  });

  it('sets the report deadline 24 h after discovery and the investigation deadline 3 months after it', () =>
    expect(deadlineChanges(opened)).toEqual({
      clear: [],
      set: [
        {
          key: 'LEAK_REPORT_LATE:incident-inc-1',
          kind: 'LEAK_REPORT_LATE',
          streamId: 'incident-inc-1',
          dueAt: '2026-03-03T11:00:00.000Z',
          incidentId: 'inc-1',
          itemId: 'doc-1',
        },
        {
          key: 'INVESTIGATION_REPORT_LATE:incident-inc-1',
          kind: 'INVESTIGATION_REPORT_LATE',
          streamId: 'incident-inc-1',
          dueAt: '2026-06-02T11:00:00.000Z',
          incidentId: 'inc-1',
          itemId: 'doc-1',
        },
      ],
    }));

  it('counts from the discovery, not from the recording, when a responder enters it late', () =>
    expect(
      deadlineChanges({ ...opened, data: { ...opened.data, discoveredAt: '2026-03-01T08:00:00Z' } }).set[0].dueAt,
    ).toBe('2026-03-02T08:00:00.000Z'));
});

describe('later events on an incident stream', () => {
  it('clears the report deadline on the report', () =>
    expect(deadlineChanges(stored('incident-inc-1', 'IncidentReported', { incidentId: 'inc-1' }))).toEqual({
      set: [],
      clear: ['LEAK_REPORT_LATE:incident-inc-1'],
    }));

  it('clears the investigation deadline on the conclusion', () =>
    expect(deadlineChanges(stored('incident-inc-1', 'InvestigationConcluded', { incidentId: 'inc-1' }))).toEqual({
      set: [],
      clear: ['INVESTIGATION_REPORT_LATE:incident-inc-1'],
    }));

  it('clears a deadline once its violation is flagged', () => {
    expect(deadlineChanges(stored('incident-inc-1', 'ViolationDetected', { code: 'LEAK_REPORT_LATE' })).clear).toEqual([
      'LEAK_REPORT_LATE:incident-inc-1',
    ]);
    expect(
      deadlineChanges(stored('incident-inc-1', 'ViolationDetected', { code: 'INVESTIGATION_REPORT_LATE' })).clear,
    ).toEqual(['INVESTIGATION_REPORT_LATE:incident-inc-1']);
  });

  // contract §5.1 3: a merged incident's own deadlines end.
  it('clears both deadlines of an incident merged into another', () =>
    expect(deadlineChanges(stored('incident-inc-1', 'IncidentMerged', { incidentId: 'inc-1', into: 'inc-0' }))).toEqual(
      {
        set: [],
        clear: ['LEAK_REPORT_LATE:incident-inc-1', 'INVESTIGATION_REPORT_LATE:incident-inc-1'],
      },
    ));

  it('does not move the deadline when a cause joins (一事一报)', () =>
    expect(
      deadlineChanges(stored('incident-inc-1', 'IncidentCauseAdded', { incidentId: 'inc-1', kind: 'leak' })),
    ).toEqual({ set: [], clear: [] }));
});

describe('an inventory sighting of doc-ts', () => {
  it("re-sets the item's TS_INVENTORY_OVERDUE a year after the sighting, on the item stream", () =>
    expect(
      deadlineChanges(
        stored('inventory-inv-1', 'ItemSighted', {
          inventoryId: 'inv-1',
          itemId: 'doc-ts',
          placeId: 'vault-1',
          at: '2026-06-10T01:10:00.000Z',
        }),
      ),
    ).toEqual({
      clear: [],
      set: [
        {
          key: 'TS_INVENTORY_OVERDUE:item-doc-ts',
          kind: 'TS_INVENTORY_OVERDUE',
          streamId: 'item-doc-ts',
          dueAt: '2027-06-10T01:10:00.000Z',
          itemId: 'doc-ts',
        },
      ],
    }));

  it('sets nothing for opening or closing an inventory', () => {
    expect(
      deadlineChanges(stored('inventory-inv-1', 'InventoryOpened', { inventoryId: 'inv-1', expected: [] })),
    ).toEqual({ set: [], clear: [] });
    expect(
      deadlineChanges(stored('inventory-inv-1', 'InventoryClosed', { inventoryId: 'inv-1', missing: ['doc-1'] })),
    ).toEqual({ set: [], clear: [] });
  });
});

describe('item stream events', () => {
  it('are delegated to the item deadlines (a dispatch sets RECEIPT_MISSING 48 h later)', () =>
    expect(
      deadlineChanges(
        stored(
          'item-doc-1',
          'ItemDispatched',
          { itemId: 'doc-1', at: '2026-05-04T06:00:00.000Z' },
          '2026-05-04T06:00:00.000Z',
        ),
      ).set,
    ).toEqual([
      expect.objectContaining({
        key: 'RECEIPT_MISSING:item-doc-1',
        kind: 'RECEIPT_MISSING',
        dueAt: '2026-05-06T06:00:00.000Z',
      }),
    ]));
});

describe('person, place and foreign streams', () => {
  it('set and clear nothing', () => {
    expect(deadlineChanges(stored('person-p-zhang', 'PersonDeparted', { personId: 'p-zhang' }))).toEqual({
      set: [],
      clear: [],
    });
    expect(deadlineChanges(stored('ledger-checkpoints', 'CheckpointSigned', {}))).toEqual({ set: [], clear: [] });
  });
});
