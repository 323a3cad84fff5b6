import { cmd, eventsOf, given, T0, typesOf, violationCodes } from '../testing/custody-spec';
import type { ViolationDetectedData } from '../shared/violation';
import { afterCommands, departed, onItem, people, person, places, received } from './item.fixtures';

const read = (reader: string, placeId = 'room-1', itemId = 'doc-1') =>
  cmd('RecordReading', { itemId, reader, placeId }, { actor: 'p-zhang' });
const violationData = (writes: Parameters<typeof eventsOf>[0]) =>
  eventsOf(writes)
    .filter((e) => e.type === 'ViolationDetected')
    .map((e) => e.data as unknown as ViolationDetectedData);

const openIncident = {
  streamId: 'incident-inc-1',
  event: {
    type: 'IncidentOpened',
    data: {
      incidentId: 'inc-1',
      kind: 'suspected-leak',
      itemIds: ['doc-1'],
      discoveredAt: T0,
      discoveredBy: 'p-zhang',
      description: 'carried out',
      causes: [
        {
          code: 'CARRY_OUT_UNAPPROVED',
          itemId: 'doc-1',
          violationId: 'c0:CARRY_OUT_UNAPPROVED:doc-1',
          personId: 'p-zhang',
          at: T0,
        },
      ],
      at: T0,
    },
  },
};

describe('a SECRET item held by Zhang, default scope', () => {
  const history = [...people, ...places, received('doc-1')];

  // 002 第9条 2: directors and above read SECRET; 001 (二)阅文保密 3: in a reading room it counts.
  it('records a director reading in the reading room, flagging nothing', () =>
    given(...history)
      .when(read('p-dir'))
      .then((writes) => {
        expect(typesOf(writes)).toEqual(['ItemRead']);
        expect(eventsOf(writes)[0].data).toMatchObject({
          reader: 'p-dir',
          placeId: 'room-1',
          placeKind: 'reading-room',
          counted: true,
        });
      }));

  // 002 第9条 / contract §5 leak rule: a reader outside the scope is a leak — high, opens a leak incident, names the reader.
  it('flags OUT_OF_SCOPE_ACCESS for the driver and opens a leak incident', () =>
    given(...history)
      .when(read('p-driver'))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['OUT_OF_SCOPE_ACCESS']);
        const [v] = violationData(writes);
        expect(v).toMatchObject({ personId: 'p-driver', severity: 'high', itemId: 'doc-1' });
        const opened = eventsOf(writes).find((e) => e.type === 'IncidentOpened');
        expect(opened?.data).toMatchObject({ kind: 'leak', itemIds: ['doc-1'] });
        expect(v.incidentId).toBe((opened?.data as { incidentId: string }).incidentId);
      }));

  // contract §5: the custodian is not automatically a reader.
  it('flags the custodian reading outside her scope', () =>
    given(...history)
      .when(read('p-zhang'))
      .then((writes) => expect(violationCodes(writes)).toEqual(['OUT_OF_SCOPE_ACCESS'])));

  // 001 (二)阅文保密 3: 不得擅自带回家中阅读; never in public. Medium, no incident; the reading does not count.
  it('flags READ_OUTSIDE_APPROVED_PLACE in a restaurant, without an incident', () =>
    given(...history)
      .when(read('p-gm', 'restaurant'))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['READ_OUTSIDE_APPROVED_PLACE']);
        expect(typesOf(writes)).not.toContain('IncidentOpened');
        expect(eventsOf(writes)[0].data).toMatchObject({ counted: false });
      }));

  it('flags both when an unentitled person reads at home', () =>
    given(...history)
      .when(read('p-driver', 'home-1'))
      .then((writes) =>
        expect(violationCodes(writes)).toEqual(['OUT_OF_SCOPE_ACCESS', 'READ_OUTSIDE_APPROVED_PLACE']),
      ));

  it('accepts an office as a reading place', () =>
    given(...history)
      .when(read('p-dir', 'office-1'))
      .then((writes) => expect(violationCodes(writes)).toEqual([])));

  // 004 脱密期: a departed reader is ACCESS_AFTER_DEPARTURE instead of OUT_OF_SCOPE_ACCESS, and a leak.
  it('flags ACCESS_AFTER_DEPARTURE for a departed director', () =>
    given(...history, departed('p-dir'))
      .when(read('p-dir'))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['ACCESS_AFTER_DEPARTURE']);
        expect(eventsOf(writes).find((e) => e.type === 'IncidentOpened')?.data).toMatchObject({ kind: 'leak' });
      }));

  // contract §5 一事一报: a cause on an item with an open incident joins it.
  it('joins the open incident of the item', () =>
    given(...history, openIncident, {
      lookups: { openIncidents: { 'doc-1': { incidentId: 'inc-1', kind: 'suspected-leak' } } },
    })
      .when(read('p-driver'))
      .then((writes) => {
        expect(typesOf(writes)).not.toContain('IncidentOpened');
        // The kind rises to the graver one (suspected-leak < leak).
        expect(eventsOf(writes).find((e) => e.type === 'IncidentCauseAdded')?.data).toMatchObject({
          incidentId: 'inc-1',
          kind: 'leak',
        });
        expect(violationData(writes)[0].incidentId).toBe('inc-1');
      }));

  it('refuses an unregistered reader or place', () => {
    given(...history)
      .when(read('p-ghost'))
      .thenThrows('UNKNOWN_PERSON');
    given(...history)
      .when(read('p-dir', 'nowhere'))
      .thenThrows('UNKNOWN_PLACE');
  });
});

describe('a SECRET item whose scope was extended to the driver', () => {
  // 001 (二)阅文保密 2: an approved extension admits — clearance still counts.
  it('still flags the driver, who has no clearance', () =>
    given(
      ...people,
      ...places,
      received('doc-1'),
      onItem('doc-1', 'ScopeExtended', { persons: ['p-driver'], approvedBy: 'p-dir' }),
    )
      .when(read('p-driver'))
      .then((writes) => expect(violationCodes(writes)).toEqual(['OUT_OF_SCOPE_ACCESS'])));

  it('lets Zhang read once extended to her', () =>
    given(
      ...people,
      ...places,
      received('doc-1'),
      onItem('doc-1', 'ScopeExtended', { persons: ['p-zhang'], approvedBy: 'p-dir' }),
    )
      .when(read('p-zhang'))
      .then((writes) => expect(violationCodes(writes)).toEqual([])));
});

describe('extending the scope', () => {
  const extend = (actor: string, persons = ['p-zhang'], itemId = 'doc-1') =>
    cmd('ExtendScope', { itemId, persons }, { actor });
  const history = [
    ...people,
    ...places,
    received('doc-1'),
    received('doc-ts', { level: 'TOP_SECRET', receivedBy: 'p-gm' }),
  ];

  // 001 (二)阅文保密 2 / contract §5: director+.
  it('records an extension approved by a director', () =>
    given(...history)
      .when(extend('p-dir'))
      .then((writes) =>
        expect(eventsOf(writes)).toEqual([
          {
            type: 'ScopeExtended',
            data: { itemId: 'doc-1', persons: ['p-zhang'], approvedBy: 'p-dir', at: expect.any(String) },
          },
        ]),
      ));

  it('refuses a manager', () =>
    given(...history)
      .when(extend('p-mgr'))
      .thenThrows('APPROVER_NOT_AUTHORIZED'));
  // contract §5: executive for TOP_SECRET.
  it('refuses a director on a TOP_SECRET item', () =>
    given(...history)
      .when(extend('p-dir', ['p-zhang'], 'doc-ts'))
      .thenThrows('APPROVER_NOT_AUTHORIZED'));
  it('refuses an unregistered person in the list', () =>
    given(...history)
      .when(extend('p-dir', ['p-ghost']))
      .thenThrows('UNKNOWN_PERSON'));
  it('appends nothing when everyone is already in', () =>
    given(...afterCommands(history, extend('p-dir')))
      .when(extend('p-gm'))
      .then((writes) => expect(writes).toEqual([])));
});

describe('an outsider reads the item (BG99 第2条 (a); contract §5.1 point 9)', () => {
  // 001 (the secretary case): a waiter at the restaurant reads the SECRET document Zhang left on the table.
  const waiter = (placeId = 'restaurant') =>
    cmd(
      'RecordReading',
      { itemId: 'doc-1', outsider: { name: 'Chen (waiter)', affiliation: 'Riverside restaurant' }, placeId },
      { actor: 'p-zhang' },
    );

  it('records the reading by name, flags OUT_OF_SCOPE_ACCESS and opens a leak incident', () =>
    given(...people, ...places, received('doc-1'))
      .when(waiter())
      .then((writes) => {
        expect(eventsOf(writes)[0]).toEqual({
          type: 'ItemRead',
          data: {
            itemId: 'doc-1',
            reader: null,
            outsider: { name: 'Chen (waiter)', affiliation: 'Riverside restaurant' },
            placeId: 'restaurant',
            placeKind: 'public',
            counted: false,
            at: T0,
          },
        });
        expect(violationCodes(writes)).toEqual(['OUT_OF_SCOPE_ACCESS', 'READ_OUTSIDE_APPROVED_PLACE']);
        expect(violationData(writes)[0]).toMatchObject({ personId: null, severity: 'high' });
        expect(violationData(writes)[0].detail).toContain('Chen (waiter)');
        expect(eventsOf(writes).find((e) => e.type === 'IncidentOpened')?.data).toMatchObject({ kind: 'leak' });
      }));

  // Always out of scope: even in a reading room, even when the item's scope admits every rank.
  it('flags an outsider in the reading room as well', () =>
    given(...people, ...places, received('doc-1', { ranks: ['staff', 'manager', 'director', 'executive'] }))
      .when(waiter('room-1'))
      .then((writes) => expect(violationCodes(writes)).toEqual(['OUT_OF_SCOPE_ACCESS'])));

  it('refuses a reading naming both a reader and an outsider, or neither', () => {
    given(...people, ...places, received('doc-1'))
      .when(cmd('RecordReading', { itemId: 'doc-1', reader: 'p-dir', outsider: { name: 'x' }, placeId: 'room-1' }))
      .thenThrows('INVALID_COMMAND');
    given(...people, ...places, received('doc-1'))
      .when(cmd('RecordReading', { itemId: 'doc-1', placeId: 'room-1' }))
      .thenThrows('INVALID_COMMAND');
  });
});

// contract §5.1 2 (a fact is judged as things stood when it happened): an engineer in scope on 2 March who departed on
// 3 March; the reading-room log of 2 March is typed in on 5 March.
describe('a reading entered late, judged as things stood when it happened', () => {
  const MAR2 = '2026-03-02T10:00:00.000Z';
  const MAR3 = '2026-03-03T09:00:00.000Z';
  const MAR4 = '2026-03-04T10:00:00.000Z';
  const MAR5 = '2026-03-05T09:00:00.000Z';
  const gone = (personId: string, at: string) => ({
    streamId: `person-${personId}`,
    event: { type: 'PersonDeparted', data: { personId, decontaminationUntil: '2027-03-03T00:00:00.000Z', at } },
  });
  const history = [...people, ...places, received('doc-1', { persons: ['p-zhang'] }), gone('p-zhang', MAR3)];
  const lateRead = (at: string) =>
    cmd('RecordReading', { itemId: 'doc-1', reader: 'p-zhang', placeId: 'room-1' }, { at });

  it('is no violation for a reader in scope then, though departed since', () =>
    given(...history, { recordedAt: MAR5 })
      .when(lateRead(MAR2))
      .then((writes) => expect(typesOf(writes)).toEqual(['ItemRead'])));

  // 004 脱密期: a reading after the departure is still ACCESS_AFTER_DEPARTURE, dated when it happened.
  it('flags a reading that happened after the departure, with at = the reading', () =>
    given(...history, { recordedAt: MAR5 })
      .when(lateRead(MAR4))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['ACCESS_AFTER_DEPARTURE']);
        expect(violationData(writes)[0].at).toBe(MAR4);
      }));

  // 001 (二)阅文保密 2: a scope extension approved after the reading did not cover it then.
  it('flags a reader admitted only by an extension approved after the reading', () =>
    given(
      ...people,
      ...places,
      received('doc-1'),
      onItem('doc-1', 'ScopeExtended', { persons: ['p-zhang'], approvedBy: 'p-gm', at: MAR3 }),
      { recordedAt: MAR5 },
    )
      .when(lateRead(MAR2))
      .then((writes) => expect(violationCodes(writes)).toEqual(['OUT_OF_SCOPE_ACCESS'])));

  // The current state is still the fold in recorded order: an in-order reading after the departure is flagged.
  it('judges an in-order reading by the state as it is now', () =>
    given(...history)
      .when(lateRead(MAR5))
      .then((writes) => expect(violationCodes(writes)).toEqual(['ACCESS_AFTER_DEPARTURE'])));

  // A record's existence is not dated: a person registered after the reading is still the reader named.
  it('finds a reader registered after the reading, as registered', () =>
    given(...people, ...places, received('doc-1'), person('p-late', 'director', 'SECRET'))
      .when(
        cmd(
          'RecordReading',
          { itemId: 'doc-1', reader: 'p-late', placeId: 'room-1' },
          { at: '2026-03-01T10:00:00.000Z' },
        ),
      )
      .then((writes) => expect(typesOf(writes)).toEqual(['ItemRead'])));
});
