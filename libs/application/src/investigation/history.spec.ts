import { sealEvents, GENESIS_HASH, type RecordedEvent } from '@app/ledger';
import { PersonTimelines, verifyStream } from './history';

const meta = (commandId: string, at: string) => ({
  occurredAt: at,
  recordedAt: at,
  actor: 'p-zhang',
  commandId,
  correlationId: commandId,
  causationId: null,
  schemaVersion: 1,
});

/** A sealed item stream: a receipt, a reading with its violation (one command), another reading. */
const stream = (): RecordedEvent[] => {
  const sealed = sealEvents('item-doc-1', -1, GENESIS_HASH, [
    {
      eventId: 'e0',
      type: 'ItemReceived',
      data: { itemId: 'doc-1' },
      metadata: meta('c0', '2026-03-02T02:00:00.000Z'),
    },
    {
      eventId: 'e1',
      type: 'ItemRead',
      data: { itemId: 'doc-1', reader: 'p-driver' },
      metadata: meta('c1', '2026-03-02T03:00:00.000Z'),
    },
    {
      eventId: 'e2',
      type: 'ViolationDetected',
      data: {
        violationId: 'v-1',
        code: 'OUT_OF_SCOPE_ACCESS',
        severity: 'high',
        itemId: 'doc-1',
        personId: 'p-driver',
        incidentId: 'inc-1',
      },
      metadata: meta('c1', '2026-03-02T03:00:00.000Z'),
    },
    {
      eventId: 'e3',
      type: 'ItemRead',
      data: { itemId: 'doc-1', reader: 'p-dir' },
      metadata: meta('c2', '2026-03-02T04:00:00.000Z'),
    },
  ]);
  return sealed.map((e, i) => ({
    ...e,
    streamId: 'item-doc-1',
    revision: i,
    position: i + 1,
  }));
};

describe('verifyStream', () => {
  it('verifies an untouched stream and pairs the violation with the fact its command recorded', () => {
    const out = verifyStream(stream());
    expect(out.map((v) => [v.hashRecomputes, v.linksToPrevious])).toEqual([
      [true, true],
      [true, true],
      [true, true],
      [true, true],
    ]);
    expect(out[1].raised).toEqual([
      { violationId: 'v-1', code: 'OUT_OF_SCOPE_ACCESS', severity: 'high', personId: 'p-driver', incidentId: 'inc-1' },
    ]);
    expect(out[3].raised).toEqual([]);
  });

  it('names an edited event: its hash no longer recomputes, its successor still links', () => {
    const events = stream();
    (events[1].data as { reader: string }).reader = 'p-gm';
    const out = verifyStream(events);
    expect(out[1].hashRecomputes).toBe(false);
    expect(out[2].linksToPrevious).toBe(true);
    expect(out.filter((v) => !v.hashRecomputes)).toHaveLength(1);
  });

  it('names the event after a removed one: it does not link', () => {
    const events = stream();
    events.splice(1, 2);
    const out = verifyStream(events);
    expect(out[1].hashRecomputes).toBe(true);
    expect(out[1].linksToPrevious).toBe(false);
  });
});

describe('PersonTimelines', () => {
  const ev = (type: string, data: object, occurredAt: string, position: number) =>
    ({
      eventId: `e${position}`,
      type,
      streamId: 'person-p-dir',
      revision: position,
      position,
      data,
      metadata: { occurredAt, recordedAt: '2026-03-05T00:00:00Z' },
    }) as unknown as RecordedEvent;
  const timelines = PersonTimelines.fromStreams(
    new Map([
      [
        'p-dir',
        [
          ev(
            'PersonRegistered',
            {
              personId: 'p-dir',
              name: 'Li',
              rank: 'director',
              clearance: 'SECRET',
              unit: 'office',
              probationUntil: null,
            },
            '2026-03-01T00:00:00Z',
            0,
          ),
          // Entered after the departure but it happened before it: the world's order counts.
          ev(
            'PersonDeparted',
            { personId: 'p-dir', decontaminationUntil: '2027-01-01T00:00:00Z', at: '2026-03-04T00:00:00Z' },
            '2026-03-04T00:00:00Z',
            1,
          ),
          ev(
            'ClearanceChanged',
            { personId: 'p-dir', from: 'SECRET', clearance: 'CONFIDENTIAL' },
            '2026-03-02T00:00:00Z',
            2,
          ),
        ],
      ],
    ]),
  );

  it('gives the person as they were at each instant, in occurredAt order', () => {
    // A record's first event is not dated (docs/decisions.md, rule 2): before the registration's own date the person
    // is found as registered, as the decider runner folds them — never null for a registered person.
    expect(timelines.at('p-dir', '2026-02-28T00:00:00Z')).toEqual(
      expect.objectContaining({ clearance: 'SECRET', departed: false }),
    );
    expect(timelines.at('p-dir', '2026-03-01T12:00:00Z')).toEqual(
      expect.objectContaining({ clearance: 'SECRET', departed: false }),
    );
    expect(timelines.at('p-dir', '2026-03-03T00:00:00Z')).toEqual(
      expect.objectContaining({ clearance: 'CONFIDENTIAL', departed: false }),
    );
    expect(timelines.at('p-dir', '2026-03-04T00:00:00Z')).toEqual(
      expect.objectContaining({ clearance: 'CONFIDENTIAL', departed: true }),
    );
    expect(timelines.at('p-nobody', '2026-03-04T00:00:00Z')).toBeNull();
  });
});
