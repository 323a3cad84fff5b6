import { createHash } from 'node:crypto';
import { GENESIS_HASH, sealEvents, type RecordedEvent } from '@app/ledger';
import { clearReadModels, openReadModelDb, type Db } from '../db/read-model-db';
import { MerkleIndex } from './merkle-index';
import { eventsFoundByStore, merkleLeavesProjection, setEventsFoundByStore } from './merkle-leaves.projection';

const meta = {
  occurredAt: '2026-03-02T09:00:00Z',
  recordedAt: '2026-03-02T09:00:00Z',
  actor: 'p-a',
  commandId: 'c',
  correlationId: 'c',
  causationId: null,
  schemaVersion: 1,
};

/** n sealed events of one stream at positions 1..n, as a store would hand them to the projection. */
const recorded = (n: number): RecordedEvent[] =>
  sealEvents(
    'item-doc-1',
    -1,
    GENESIS_HASH,
    Array.from({ length: n }, (_, i) => ({ eventId: `e-${i}`, type: 'ItemRead', data: { i }, metadata: meta })),
  ).map((e, i) => ({ ...e, streamId: 'item-doc-1', revision: i, position: i + 1 }));

const leaf = (e: RecordedEvent) =>
  createHash('sha256')
    .update(Buffer.concat([Buffer.from([0]), Buffer.from(e.metadata.hash, 'hex')]))
    .digest();
const node = (l: Buffer, r: Buffer) =>
  createHash('sha256')
    .update(Buffer.concat([Buffer.from([1]), l, r]))
    .digest();

/** Applies events as the runner does: one transaction per batch. */
const applyBatch = (db: Db, events: RecordedEvent[]) =>
  db.transaction(() => events.forEach((e) => merkleLeavesProjection.apply(db, e)))();

describe('the merkle-leaves projection', () => {
  let db: Db;
  let index: MerkleIndex;
  const events = recorded(5);

  beforeEach(() => {
    db = openReadModelDb(':memory:');
    index = new MerkleIndex(db);
  });
  afterEach(() => db.close());

  it('appends one leaf per event in the order given, 0x00-prefixed over the event hash', () => {
    applyBatch(db, events.slice(0, 3));
    expect(index.size).toBe(3);
    expect(index.leafAt(2)).toEqual({
      leafIndex: 2,
      position: 3,
      streamId: 'item-doc-1',
      eventHash: events[2].metadata.hash,
      leafHash: leaf(events[2]).toString('hex'),
    });
    expect(index.leafOf('e-2')).toEqual({ ...index.leafAt(2), eventId: 'e-2' });
    expect(index.leafOf('e-4')).toBeNull();
    const [a, b, c] = events.slice(0, 3).map(leaf);
    expect(index.root()).toBe(node(node(a, b), c).toString('hex'));
  });

  it('adds nothing when an event is applied twice', () => {
    applyBatch(db, events.slice(0, 3));
    const rootBefore = index.root();
    applyBatch(db, [events[1], events[2]]);
    expect(index.size).toBe(3);
    expect(index.root()).toBe(rootBefore);
    expect((db.prepare(`SELECT COUNT(*) AS n FROM merkle_leaves`).get() as { n: number }).n).toBe(3);
  });

  it('never lets the in-memory tree run ahead of a batch that rolled back', () => {
    applyBatch(db, events.slice(0, 2));
    const rootBefore = index.root();
    expect(() =>
      db.transaction(() => {
        for (const e of events.slice(2)) merkleLeavesProjection.apply(db, e);
        // A read inside the batch sees its uncommitted rows; after the rollback the tree must forget them.
        expect(index.size).toBe(5);
        throw new Error('crash before the checkpoint is written');
      })(),
    ).toThrow('crash');
    expect(index.size).toBe(2);
    expect(index.root()).toBe(rootBefore);
    applyBatch(db, events.slice(2));
    expect(index.size).toBe(5);
  });

  it('starts again when a rebuild cleared the table under it', () => {
    applyBatch(db, events);
    expect(index.size).toBe(5);
    clearReadModels(db);
    expect(index.size).toBe(0);
    const other = recorded(2).map((e) => ({ ...e, eventId: `x-${e.eventId}` }));
    applyBatch(db, other);
    expect(index.root()).toBe(node(leaf(other[0]), leaf(other[1])).toString('hex'));
  });

  it('rebuilds its tree from the stored rows on open (a restart)', () => {
    applyBatch(db, events);
    expect(new MerkleIndex(db).root()).toBe(index.root());
    expect(new MerkleIndex(db).inclusionProof(1, 5)).toEqual(index.inclusionProof(1, 5));
  });

  it('finds a leaf by a UUID event id, stored as its 16 bytes, and by any other id as its text', () => {
    const uuid = '0e7cb25f-8d5b-58b9-9626-d2402e09301f';
    applyBatch(db, [{ ...events[0], eventId: uuid }, events[1]]);
    expect(index.leafOf(uuid)?.leafIndex).toBe(0);
    expect(index.leafOf(uuid.toUpperCase())).toBeNull();
    expect(index.leafOf('e-1')?.leafIndex).toBe(1);
    const keys = db.prepare(`SELECT event_id FROM merkle_events ORDER BY idx`).all() as { event_id: unknown }[];
    expect(keys.map((k) => k.event_id)).toEqual([Buffer.from(uuid.replace(/-/g, ''), 'hex'), 'e-1']);
  });

  it('refuses an event that was never sealed (the runner records it and the tree lacks that leaf)', () => {
    const unsealed = { ...events[0], metadata: { ...meta } } as unknown as RecordedEvent;
    expect(() => merkleLeavesProjection.apply(db, unsealed)).toThrow('has no 64-hex metadata.hash');
    const upper = { ...events[0], metadata: { ...events[0].metadata, hash: events[0].metadata.hash.toUpperCase() } };
    expect(() => merkleLeavesProjection.apply(db, upper)).toThrow('has no 64-hex metadata.hash');
    const short = {
      ...events[0],
      metadata: { ...events[0].metadata, hash: `${events[0].metadata.hash.slice(0, 62)}zz` },
    };
    expect(() => merkleLeavesProjection.apply(db, short)).toThrow('has no 64-hex metadata.hash');
    expect(index.size).toBe(0);
  });
});

/** Applies events through the projection's batch session, as the runner's fast path does (chunks of 128 rows). */
const applySession = (db: Db, events: RecordedEvent[]) =>
  db.transaction(() => {
    const session = merkleLeavesProjection.session!(db);
    for (const e of events) session.apply(e);
    session.end();
  })();

const tableNamed = (db: Db, name: string) =>
  db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name);

// Over a store that finds an event's position by its id (the embedded store), the file keeps no event id (issue 16).
describe('the merkle-leaves projection, events found through the store', () => {
  let db: Db;
  /** What the store would answer: the position of each event it holds. */
  let stored: Map<string, number>;
  let index: MerkleIndex;

  beforeEach(() => {
    db = openReadModelDb(':memory:');
    setEventsFoundByStore(db, true);
    stored = new Map();
    index = new MerkleIndex(db, (id) => stored.get(id));
  });
  afterEach(() => db.close());

  const store = (events: RecordedEvent[]) => events.forEach((e) => stored.set(e.eventId, e.position));

  it('keeps no merkle_events, and finds a leaf by the position the store gives for the id', () => {
    const events = recorded(5);
    store(events);
    applyBatch(db, events.slice(0, 4));
    expect(eventsFoundByStore(db)).toBe(true);
    expect(tableNamed(db, 'merkle_events')).toBeUndefined();
    expect(index.leafOf('e-2')).toEqual({ ...index.leafAt(2), eventId: 'e-2' });
    // Stored but not projected yet, and not stored at all: no leaf.
    expect(index.leafOf('e-4')).toBeNull();
    expect(index.leafOf('e-9')).toBeNull();
  });

  it('adds nothing for an event applied again, alone or inside a batch of whole chunks', () => {
    const events = recorded(300);
    const reference = openReadModelDb(':memory:');
    applyBatch(reference, events);
    applySession(db, events.slice(0, 200));
    applyBatch(db, [events[3], events[199]]);
    // A batch that starts with 150 events already in the log and goes on with the rest.
    applySession(db, events.slice(50));
    expect(index.size).toBe(300);
    expect(index.root()).toBe(new MerkleIndex(reference).root());
    expect(db.prepare(`SELECT position FROM merkle_leaves ORDER BY idx`).pluck().all()).toEqual(
      events.map((e) => e.position),
    );
    reference.close();
  });

  it('finds the leaf when positions are not dense (EventStoreDB-like offsets, a leaf that failed)', () => {
    const events = recorded(40).map((e, i) => ({ ...e, position: 1000 + 37 * i }));
    const unsealed = { ...events[7], metadata: { ...meta } } as unknown as RecordedEvent;
    store(events);
    applyBatch(db, events.slice(0, 7));
    expect(() => merkleLeavesProjection.apply(db, unsealed)).toThrow('has no 64-hex metadata.hash');
    applyBatch(db, events.slice(8));
    expect(index.size).toBe(39);
    for (const [i, e] of events.entries())
      expect(index.leafOf(e.eventId)?.leafIndex ?? null).toBe(i === 7 ? null : i < 7 ? i : i - 1);
    expect(index.leafOf(events[39].eventId)?.position).toBe(events[39].position);
  });

  it('cannot answer without the store, and cannot change how a log with leaves finds its events', () => {
    applyBatch(db, recorded(2));
    expect(() => new MerkleIndex(db).leafOf('e-0')).toThrow('needs its positionOf');
    expect(() => setEventsFoundByStore(db, false)).toThrow('already has leaves');
  });
});
