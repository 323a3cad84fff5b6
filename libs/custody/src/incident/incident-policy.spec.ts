import { type Command, type DecisionContext, type DomainEvent, emptyContext } from '../shared/command';
import { incidentStreamModule } from '.';
import { incidentKindFor, incidentNeeds, incidentWrites } from './incident-policy';
import { D0, incidentOpened } from './incident.fixtures';

const command = (at: string, commandId = 'c2'): Command => ({
  type: 'RecordLoss',
  data: {},
  commandId,
  actor: 'p-zhang',
  at,
});
const fold = (...events: DomainEvent[]) =>
  events.reduce((s, e) => incidentStreamModule.evolve(s, e), incidentStreamModule.initialState());

/** A context where doc-1's open incident inc-1 is known to the read model and its stream is loaded. */
const withOpenIncident = (...events: DomainEvent[]): DecisionContext => ({
  ...emptyContext(),
  openIncidents: { 'doc-1': { incidentId: 'inc-1', kind: 'suspected-leak' } },
  streams: { 'incident-inc-1': { state: fold(incidentOpened().event, ...events), revision: events.length } },
});
const noOpenIncidents = (...itemIds: string[]): DecisionContext => ({
  ...emptyContext(),
  openIncidents: Object.fromEntries(itemIds.map((i) => [i, null])),
});

describe('which violations open which incidents (contract §5 Leak; BG99 第2条)', () => {
  it.each([
    ['OUT_OF_SCOPE_ACCESS', undefined, 'leak'],
    ['ACCESS_AFTER_DEPARTURE', undefined, 'leak'],
    ['INSECURE_CHANNEL', undefined, 'suspected-leak'],
    ['CARRY_OUT_UNAPPROVED', 'public', 'suspected-leak'],
    ['CARRY_OUT_UNAPPROVED', 'home', 'suspected-leak'],
    // BG99 第2条 (b); contract §5.1 point 10: outside the unit is beyond the permitted range too.
    ['CARRY_OUT_UNAPPROVED', 'external', 'suspected-leak'],
    ['CARRY_OUT_UNAPPROVED', 'office', null],
    ['CARRY_OUT_UNAPPROVED', undefined, null],
    // 000_45e41dba1b6a5da7.txt 不私自销毁; contract §5.1 point 8.
    ['DESTRUCTION_PLACE_NOT_APPROVED', 'home', 'suspected-leak'],
    ['DESTRUCTION_PLACE_NOT_APPROVED', 'public', 'suspected-leak'],
    ['DESTRUCTION_PLACE_NOT_APPROVED', 'external', 'suspected-leak'],
    ['DESTRUCTION_PLACE_NOT_APPROVED', 'reading-room', null],
    ['ITEM_MISSING', undefined, 'loss'],
    ['ItemLost', undefined, 'loss'],
    ['READ_OUTSIDE_APPROVED_PLACE', undefined, null],
    ['LEAK_REPORT_LATE', undefined, null],
  ] as const)('%s (destination %s) opens %s', (code, destinationKind, kind) =>
    expect(incidentKindFor(code, destinationKind ? { destinationKind } : undefined)).toBe(kind),
  );
});

describe('what opening or joining needs', () => {
  it("asks first for the items' open incidents", () =>
    expect(incidentNeeds(['doc-1', 'doc-2', 'doc-1'], emptyContext())).toEqual({
      openIncidentsFor: ['doc-1', 'doc-2'],
      streams: [],
    }));

  it('then for the streams of the open ones', () =>
    expect(
      incidentNeeds(['doc-1', 'doc-2'], {
        ...emptyContext(),
        openIncidents: { 'doc-1': { incidentId: 'inc-1', kind: 'loss' }, 'doc-2': null },
      }),
    ).toEqual({ openIncidentsFor: ['doc-1', 'doc-2'], streams: ['incident-inc-1'] }));
});

describe('doc-1 without an open incident', () => {
  it('opens a new incident with a derived id, discovered now by the actor', () => {
    const { incidentIds, writes } = incidentWrites(
      command(D0, 'c1'),
      [
        {
          itemId: 'doc-1',
          code: 'CARRY_OUT_UNAPPROVED',
          violationId: 'v1',
          personId: 'p-zhang',
          kind: 'suspected-leak',
        },
      ],
      noOpenIncidents('doc-1'),
    );
    expect(incidentIds).toEqual({ 'doc-1': 'inc-c1-doc-1' });
    expect(writes).toEqual([
      {
        streamId: 'incident-inc-c1-doc-1',
        events: [
          {
            type: 'IncidentOpened',
            data: {
              incidentId: 'inc-c1-doc-1',
              kind: 'suspected-leak',
              itemIds: ['doc-1'],
              discoveredAt: D0,
              discoveredBy: 'p-zhang',
              occurredAt: D0,
              description: 'CARRY_OUT_UNAPPROVED on doc-1',
              at: D0,
              causes: [
                { code: 'CARRY_OUT_UNAPPROVED', itemId: 'doc-1', violationId: 'v1', personId: 'p-zhang', at: D0 },
              ],
            },
          },
        ],
      },
    ]);
  });

  it('opens one incident, of the gravest kind, for several causes in one command', () => {
    const { writes } = incidentWrites(
      command(D0),
      [
        { itemId: 'doc-1', code: 'INSECURE_CHANNEL', violationId: 'v1', kind: 'suspected-leak' },
        { itemId: 'doc-1', code: 'OUT_OF_SCOPE_ACCESS', violationId: 'v2', kind: 'leak' },
      ],
      noOpenIncidents('doc-1'),
    );
    expect(writes).toHaveLength(1);
    expect(writes[0].events.map((e) => e.type)).toEqual(['IncidentOpened']);
    expect(writes[0].events[0].data).toMatchObject({
      kind: 'leak',
      causes: [expect.objectContaining({ violationId: 'v1' }), expect.objectContaining({ violationId: 'v2' })],
    });
  });
});

describe('doc-1 and doc-2 without open incidents', () => {
  it('gives each item its own incident', () => {
    const { incidentIds, writes } = incidentWrites(
      command(D0),
      [
        { itemId: 'doc-1', code: 'ITEM_MISSING', violationId: 'v1', kind: 'loss' },
        { itemId: 'doc-2', code: 'ITEM_MISSING', violationId: 'v2', kind: 'loss' },
      ],
      noOpenIncidents('doc-1', 'doc-2'),
    );
    expect(incidentIds).toEqual({ 'doc-1': 'inc-c2-doc-1', 'doc-2': 'inc-c2-doc-2' });
    expect(writes.map((w) => w.streamId)).toEqual(['incident-inc-c2-doc-1', 'incident-inc-c2-doc-2']);
  });
});

describe('doc-1 with an open suspected-leak incident since 11:00 (一事一报, 004_d1fc20a45ee67265.txt)', () => {
  it('joins it with a loss at 14:00, raising the kind, without opening another', () => {
    const { incidentIds, writes } = incidentWrites(
      command('2026-03-02T14:00:00.000Z'),
      [{ itemId: 'doc-1', code: 'ItemLost', violationId: null, personId: 'p-zhang', kind: 'loss' }],
      withOpenIncident(),
    );
    expect(incidentIds).toEqual({ 'doc-1': 'inc-1' });
    expect(writes).toEqual([
      {
        streamId: 'incident-inc-1',
        events: [
          {
            type: 'IncidentCauseAdded',
            data: {
              incidentId: 'inc-1',
              code: 'ItemLost',
              itemId: 'doc-1',
              violationId: null,
              personId: 'p-zhang',
              at: '2026-03-02T14:00:00.000Z',
              kind: 'loss',
              previousKind: 'suspected-leak',
            },
          },
        ],
      },
    ]);
  });

  it('never lowers the kind: a leak joined by a suspected leak stays a leak', () => {
    const leak = withOpenIncident({
      type: 'IncidentCauseAdded',
      data: {
        incidentId: 'inc-1',
        code: 'OUT_OF_SCOPE_ACCESS',
        itemId: 'doc-1',
        violationId: 'v0',
        personId: null,
        at: D0,
        kind: 'leak',
        previousKind: 'suspected-leak',
      },
    });
    const { writes } = incidentWrites(
      command('2026-03-02T14:00:00.000Z'),
      [{ itemId: 'doc-1', code: 'INSECURE_CHANNEL', violationId: 'v3', kind: 'suspected-leak' }],
      leak,
    );
    expect(writes[0].events[0].data).toMatchObject({ kind: 'leak', previousKind: 'leak' });
  });
});

describe('doc-1 whose incident the read model still shows open, but whose stream is closed', () => {
  it('opens a new incident rather than joining a closed one', () => {
    const ctx = withOpenIncident(
      { type: 'IncidentReported', data: { incidentId: 'inc-1', to: 'x', by: 'p', at: D0, dueAt: D0, late: false } },
      { type: 'IncidentClosed', data: { incidentId: 'inc-1', note: null, by: 'p', at: D0 } },
    );
    const { incidentIds } = incidentWrites(
      command('2026-03-05T00:00:00.000Z'),
      [{ itemId: 'doc-1', code: 'ITEM_MISSING', violationId: 'v9', kind: 'loss' }],
      ctx,
    );
    expect(incidentIds).toEqual({ 'doc-1': 'inc-c2-doc-1' });
  });
});

// TL2024 实施条例 第61条 (发现后24小时内) / contract §5.1 1: the reading of 2 March typed in on 5 March is discovered on
// 5 March — the ledger learned of it then — and keeps 2 March as when it happened.
describe('a cause entered late: discovered when the ledger records it', () => {
  const MAR2 = '2026-03-02T10:00:00.000Z';
  const MAR5 = '2026-03-05T09:00:00.000Z';
  const cause = { itemId: 'doc-1', code: 'OUT_OF_SCOPE_ACCESS', violationId: 'v1', kind: 'leak' as const };

  it('opens an incident discovered at the recording, by the actor, occurred at the fact', () => {
    const { writes } = incidentWrites(command(MAR2, 'c1'), [cause], { ...noOpenIncidents('doc-1'), recordedAt: MAR5 });
    expect(writes[0].events[0].data).toMatchObject({
      discoveredAt: MAR5,
      discoveredBy: 'p-zhang',
      occurredAt: MAR2,
      causes: [{ at: MAR2 }],
    });
  });

  it('is never discovered before it happened (an occurredAt a little ahead of the clock)', () => {
    const { writes } = incidentWrites(command(MAR5, 'c1'), [cause], {
      ...noOpenIncidents('doc-1'),
      recordedAt: '2026-03-05T08:58:00.000Z',
    });
    expect(writes[0].events[0].data).toMatchObject({ discoveredAt: MAR5 });
  });
});

// 004_d1fc20a45ee67265.txt 一事一报 / contract §5.1 3: one event, one report — until it is reported.
describe('doc-1 whose incident was reported, the read model not yet knowing', () => {
  it('opens a new incident with its own discovery rather than joining the reported one', () => {
    const ctx = withOpenIncident({
      type: 'IncidentReported',
      data: { incidentId: 'inc-1', to: 'x', by: 'p', at: D0, dueAt: D0, late: false },
    });
    const { incidentIds, writes } = incidentWrites(
      command('2026-03-20T10:00:00.000Z'),
      [{ itemId: 'doc-1', code: 'OUT_OF_SCOPE_ACCESS', violationId: 'v9', kind: 'leak' }],
      ctx,
    );
    expect(incidentIds).toEqual({ 'doc-1': 'inc-c2-doc-1' });
    expect(writes[0].events[0]).toMatchObject({
      type: 'IncidentOpened',
      data: { discoveredAt: '2026-03-20T10:00:00.000Z' },
    });
  });
});
