import { cmd, eventsOf, given, T0, typesOf, violationCodes } from '../testing/custody-spec';
import { onItem, received } from '../item/item.fixtures';
import { personStreamModule, personView } from '.';

const zhang = { personId: 'p-zhang', name: 'Zhang', rank: 'staff', clearance: 'SECRET', unit: 'office' } as const;
const registered = (over: Partial<Record<string, unknown>> = {}) => ({
  streamId: 'person-p-zhang',
  event: { type: 'PersonRegistered', data: { ...zhang, probationUntil: null, at: T0, ...over } },
});
const departed = {
  streamId: 'person-p-zhang',
  event: {
    type: 'PersonDeparted',
    data: { personId: 'p-zhang', decontaminationUntil: '2027-03-02T00:00:00.000Z', at: T0 },
  },
};
/** Items received by Zhang at T0 (the holders index answers them for the departure, as the read model would). */
const holding = (...items: string[]) => items.map((itemId) => received(itemId));
const LATER = '2026-03-05T09:00:00.000Z';

describe('no person p-zhang', () => {
  it('registers Zhang', () =>
    given()
      .when(cmd('RegisterPerson', zhang))
      .then([
        {
          streamId: 'person-p-zhang',
          events: [{ type: 'PersonRegistered', data: { ...zhang, probationUntil: null, at: T0 } }],
        },
      ]));

  // A day written as a date (the probation ends on 1 September) is that day's 00:00 UTC, stored as an instant.
  it('stores a probation given as a calendar date as its 00:00 UTC', () =>
    given()
      .when(cmd('RegisterPerson', { ...zhang, probationUntil: '2026-09-01' }))
      .then((writes) =>
        expect(eventsOf(writes)[0].data).toMatchObject({ probationUntil: '2026-09-01T00:00:00.000Z' }),
      ));

  it('refuses a rank outside the vocabulary as an input error', () =>
    given()
      .when(cmd('RegisterPerson', { ...zhang, rank: 'general' as never }))
      .thenThrows('INVALID_COMMAND'));

  it('does not know Zhang for a clearance change', () =>
    given()
      .when(cmd('ChangeClearance', { personId: 'p-zhang', clearance: 'TOP_SECRET' }))
      .thenThrows('UNKNOWN_PERSON'));

  it('does not know Zhang for a departure', () =>
    given()
      .when(cmd('RecordDeparture', { personId: 'p-zhang', decontaminationUntil: LATER }))
      .thenThrows('UNKNOWN_PERSON'));
});

describe('Zhang registered, on probation', () => {
  const onProbation = registered({ probationUntil: '2026-06-01T00:00:00.000Z' });

  it('refuses a second registration with PERSON_EXISTS', () =>
    given(onProbation).when(cmd('RegisterPerson', zhang)).thenThrows('PERSON_EXISTS'));

  it('records a clearance change with the clearance it replaces', () =>
    given(onProbation)
      .when(cmd('ChangeClearance', { personId: 'p-zhang', clearance: 'TOP_SECRET' }))
      .then((w) =>
        expect(eventsOf(w)).toEqual([
          { type: 'ClearanceChanged', data: { personId: 'p-zhang', from: 'SECRET', clearance: 'TOP_SECRET', at: T0 } },
        ]),
      ));

  it('records nothing for a change to the clearance already held', () =>
    given(onProbation)
      .when(cmd('ChangeClearance', { personId: 'p-zhang', clearance: 'SECRET' }))
      .then([]));

  it('ends the probation', () =>
    given(onProbation)
      .when(cmd('EndProbation', { personId: 'p-zhang' }))
      .then((w) => expect(typesOf(w)).toEqual(['ProbationEnded'])));
});

describe('Zhang registered, not on probation', () => {
  it('records nothing for ending a probation that is not running', () =>
    given(registered())
      .when(cmd('EndProbation', { personId: 'p-zhang' }))
      .then([]));
});

describe('Zhang registered and still holding doc-1 and doc-2', () => {
  // 002_c292fe519fc09962.txt 第30条: everything must be handed back on leaving.
  it('records the departure and flags DEPARTURE_ITEMS_UNRETURNED once per item, on the person stream', () =>
    given(registered(), ...holding('doc-1', 'doc-2'))
      .when(cmd('RecordDeparture', { personId: 'p-zhang', decontaminationUntil: LATER }, { commandId: 'c-dep' }))
      .then((w) => {
        expect(w.map((x) => x.streamId)).toEqual(['person-p-zhang']);
        expect(typesOf(w)).toEqual(['PersonDeparted', 'ViolationDetected', 'ViolationDetected']);
        expect(eventsOf(w)[0].data).toEqual({ personId: 'p-zhang', decontaminationUntil: LATER, at: T0 });
        expect(
          eventsOf(w)
            .slice(1)
            .map((e) => e.data),
        ).toEqual([
          expect.objectContaining({
            violationId: 'c-dep:DEPARTURE_ITEMS_UNRETURNED:doc-1',
            code: 'DEPARTURE_ITEMS_UNRETURNED',
            severity: 'high',
            itemId: 'doc-1',
            personId: 'p-zhang',
            at: T0,
          }),
          expect.objectContaining({
            violationId: 'c-dep:DEPARTURE_ITEMS_UNRETURNED:doc-2',
            itemId: 'doc-2',
            personId: 'p-zhang',
          }),
        ]);
      }));

  it('refuses a decontamination period that ends before the departure (input error)', () =>
    given(registered(), ...holding('doc-1'))
      .when(cmd('RecordDeparture', { personId: 'p-zhang', decontaminationUntil: '2026-03-01T00:00:00.000Z' }))
      .thenThrows('INVALID_COMMAND'));
});

describe('Zhang registered, holding nothing', () => {
  it('records the departure without a violation', () =>
    given(registered(), ...holding())
      .when(cmd('RecordDeparture', { personId: 'p-zhang', decontaminationUntil: LATER }))
      .then((w) => {
        expect(typesOf(w)).toEqual(['PersonDeparted']);
        expect(violationCodes(w)).toEqual([]);
      }));
});

// contract §5.1 2: a departure entered late is judged by what was held when Zhang left, not by what is held now.
describe('Zhang received doc-1 and doc-3 at T0 and handed doc-1 to Li on 3 March; doc-5 reached Zhang on 5 March', () => {
  const LEFT = '2026-03-03T09:00:00.000Z';
  const history = [
    registered(),
    ...holding('doc-1', 'doc-3'),
    onItem('doc-1', 'ItemHandedOver', {
      handoverId: 'ho-1',
      from: 'p-zhang',
      to: 'p-li',
      itemized: true,
      signedByBoth: true,
      supervisor: null,
      at: '2026-03-03T10:00:00.000Z',
    }),
    received('doc-5', { at: LATER }),
  ];

  it('flags doc-1 and doc-3 for a departure at 09:00 on 3 March entered afterwards, not doc-5', () =>
    given(...history)
      .when(cmd('RecordDeparture', { personId: 'p-zhang', decontaminationUntil: LATER }, { at: LEFT }))
      .then((w) => {
        expect(violationCodes(w)).toEqual(['DEPARTURE_ITEMS_UNRETURNED', 'DEPARTURE_ITEMS_UNRETURNED']);
        expect(
          eventsOf(w)
            .slice(1)
            .map((e) => (e.data as { itemId: string }).itemId),
        ).toEqual(['doc-1', 'doc-3']);
      }));

  it('flags doc-3 and doc-5 for a departure after everything', () =>
    given(...history)
      .when(
        cmd(
          'RecordDeparture',
          { personId: 'p-zhang', decontaminationUntil: '2027-01-01T00:00:00.000Z' },
          { at: '2026-03-06T09:00:00.000Z' },
        ),
      )
      .then((w) =>
        expect(
          eventsOf(w)
            .slice(1)
            .map((e) => (e.data as { itemId: string }).itemId),
        ).toEqual(['doc-3', 'doc-5']),
      ));
});

describe('Zhang already departed', () => {
  it('records nothing for a second departure', () =>
    given(registered(), departed, ...holding('doc-1'))
      .when(cmd('RecordDeparture', { personId: 'p-zhang', decontaminationUntil: LATER }))
      .then([]));
});

describe('the person view', () => {
  const fold = (...events: Array<{ type: string; data: Record<string, unknown> }>) =>
    events.reduce((s, e) => personStreamModule.evolve(s, e), personStreamModule.initialState());

  it('is null for a person never registered', () => expect(personView(fold())).toBeNull());

  it('shows the probation cleared, the departure and its decontamination period', () =>
    expect(
      personView(
        fold(
          registered({ probationUntil: '2026-06-01T00:00:00.000Z' }).event,
          {
            type: 'ClearanceChanged',
            data: { personId: 'p-zhang', from: 'SECRET', clearance: 'CONFIDENTIAL', at: T0 },
          },
          { type: 'ProbationEnded', data: { personId: 'p-zhang', at: T0 } },
          departed.event,
        ),
      ),
    ).toEqual({
      ...zhang,
      clearance: 'CONFIDENTIAL',
      probationUntil: null,
      departed: true,
      departedAt: T0,
      decontaminationUntil: '2027-03-02T00:00:00.000Z',
    }));

  it('folds the violations recorded on the person stream', () => {
    const state = fold(
      registered().event,
      { type: 'ViolationDetected', data: { violationId: 'v1', code: 'DEPARTURE_ITEMS_UNRETURNED' } },
      { type: 'ViolationResolved', data: { violationId: 'v1', note: 'returned', resolvedBy: 'p-officer', at: T0 } },
    );
    expect(state.violations).toEqual({ v1: 'resolved' });
    expect(personView(state)?.personId).toBe('p-zhang');
  });
});
