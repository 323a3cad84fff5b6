import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  GENESIS_HASH,
  MerkleLog,
  sealEvents,
  streamHeadsRoot,
  verifyStreamHeadProof,
  type RecordedEvent,
} from '@app/ledger';
import { clearReadModels, openReadModelDb, type Db } from '../db/read-model-db';
import { MerkleIndex } from './merkle-index';
import { merkleLeavesProjection } from './merkle-leaves.projection';

const meta = {
  occurredAt: '2026-03-02T09:00:00Z',
  recordedAt: '2026-03-02T09:00:00Z',
  actor: 'p-a',
  commandId: 'c',
  correlationId: 'c',
  causationId: null,
  schemaVersion: 1,
};

/** `n` sealed events spread over `streams` streams, in global positions 1..n, as a store hands them over. */
const recorded = (n: number, streams: number, prefix = 'e'): RecordedEvent[] => {
  const heads = new Map<string, { revision: number; hash: string }>();
  const out: RecordedEvent[] = [];
  for (let i = 0; i < n; i++) {
    const streamId = `item-doc-${(i * 7) % streams}`;
    const head = heads.get(streamId) ?? { revision: -1, hash: GENESIS_HASH };
    const [sealed] = sealEvents(streamId, head.revision, head.hash, [
      { eventId: `${prefix}-${i}`, type: 'ItemRead', data: { i }, metadata: meta },
    ]);
    heads.set(streamId, { revision: head.revision + 1, hash: sealed.metadata.hash });
    out.push({ ...sealed, streamId, revision: head.revision + 1, position: i + 1 });
  }
  return out;
};

const applyBatch = (db: Db, events: RecordedEvent[]) =>
  db.transaction(() => events.forEach((e) => merkleLeavesProjection.apply(db, e)))();

/** The reference: a log and stream heads computed in memory from every event, independently of the read model. */
const reference = (events: RecordedEvent[]) => {
  const log = new MerkleLog();
  for (const e of events) log.append(e.metadata.hash);
  const heads = new Map<string, { streamId: string; revision: number; hash: string }>();
  for (const e of events) heads.set(e.streamId, { streamId: e.streamId, revision: e.revision, hash: e.metadata.hash });
  return { log, streamsRoot: streamHeadsRoot(heads.values()) };
};

describe('the Merkle index across restarts (issue 16: a start does not rehash every leaf)', () => {
  let dir: string;
  let file: string;
  let db: Db;
  const events = recorded(300, 37);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'merkle-index-'));
    file = path.join(dir, 'read-models.sqlite');
    db = openReadModelDb(file);
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const reopen = () => {
    db.close();
    db = openReadModelDb(file);
    return new MerkleIndex(db);
  };

  it('resumes from its persisted nodes and heads with the same roots, proofs and heads as the leaves give', () => {
    applyBatch(db, events.slice(0, 200));
    new MerkleIndex(db).sync();
    // Leaves committed after the last sync (a crash before the next one) are caught up from the table.
    applyBatch(db, events.slice(200));
    const index = reopen();
    const ref = reference(events);
    expect(index.size).toBe(300);
    expect(index.root()).toBe(ref.log.root());
    for (const size of [1, 17, 128, 200, 299, 300]) expect(index.root(size)).toBe(ref.log.root(size));
    for (const [i, size] of [
      [0, 300],
      [150, 300],
      [299, 300],
      [31, 64],
      [200, 201],
    ])
      expect(index.inclusionProof(i, size)).toEqual(ref.log.inclusionProof(i, size));
    for (const [a, b] of [
      [1, 300],
      [100, 300],
      [200, 257],
    ])
      expect(index.consistencyProof(a, b)).toEqual(ref.log.consistencyProof(a, b));
    expect(index.streamsRoot()).toBe(ref.streamsRoot);
    const proof = index.streamHeadProof('item-doc-5');
    expect(proof?.head.revision).toBe(events.filter((e) => e.streamId === 'item-doc-5').length - 1);
    expect(proof && verifyStreamHeadProof(proof, ref.streamsRoot)).toBe(true);
    expect(index.streamsRoot(200)).toBe(reference(events.slice(0, 200)).streamsRoot);
  });

  it('does not read the leaves below the persisted size at a start', () => {
    applyBatch(db, events);
    new MerkleIndex(db).sync();
    // An event hash in the middle overwritten: replaying the table would give another root; a resumed index never
    // reads that row. Finding such damage is verify's job, against the store.
    db.prepare(`UPDATE merkle_leaves SET event_hash = zeroblob(32) WHERE idx = 100`).run();
    const index = reopen();
    expect(index.root()).toBe(reference(events).log.root());
    db.prepare(`DELETE FROM merkle_state`).run();
    expect(reopen().root()).not.toBe(reference(events).log.root());
    // A hash that is not 32 bytes at all is damage a replay stops at.
    db.prepare(`UPDATE merkle_leaves SET event_hash = zeroblob(31) WHERE idx = 100`).run();
    db.prepare(`DELETE FROM merkle_state`).run();
    expect(() => reopen().root()).toThrow('not 32 bytes');
  });

  it('keeps the persisted state current as the log grows, stream heads included', () => {
    const index = new MerkleIndex(db);
    for (let i = 0; i < 300; i += 50) {
      applyBatch(db, events.slice(i, i + 50));
      expect(index.streamsRoot()).toBe(reference(events.slice(0, i + 50)).streamsRoot);
    }
    expect((db.prepare(`SELECT size FROM merkle_state`).get() as { size: number }).size).toBe(300);
    const again = reopen();
    expect(again.streamsRoot()).toBe(reference(events).streamsRoot);
    expect(again.streamHeadsAt().length).toBe(37);
  });

  it('drops a persisted state the table no longer matches (a rebuild replaced the leaves) and recomputes', () => {
    applyBatch(db, events);
    new MerkleIndex(db).sync();
    const other = recorded(90, 11, 'x');
    // The leaves replaced, the persisted state left behind: its last leaf is not the table's leaf there.
    db.prepare(`DELETE FROM merkle_leaves`).run();
    applyBatch(db, other);
    const index = reopen();
    expect(index.root()).toBe(reference(other).log.root());
    expect(index.streamsRoot()).toBe(reference(other).streamsRoot);
    expect((db.prepare(`SELECT size FROM merkle_state`).get() as { size: number }).size).toBe(90);
  });

  it('starts from nothing after a rebuild cleared every table, state included', () => {
    applyBatch(db, events);
    const index = new MerkleIndex(db);
    expect(index.size).toBe(300);
    clearReadModels(db);
    expect(index.size).toBe(0);
    applyBatch(db, events.slice(0, 40));
    expect(reopen().root()).toBe(reference(events.slice(0, 40)).log.root());
  });
});

describe('stream numbers (merkle_streams: each stream numbered in first-seen order, issue 10)', () => {
  const events = recorded(300, 37);
  const session = (db: Db, batch: RecordedEvent[]) =>
    db.transaction(() => {
      const s = merkleLeavesProjection.session!(db);
      for (const e of batch) s.apply(e);
      s.end();
    })();
  const numbers = (db: Db) =>
    db.prepare(`SELECT stream_no, stream_id FROM merkle_streams ORDER BY stream_no`).raw().all() as [number, string][];
  const firstSeen = (batch: RecordedEvent[]) => [...new Set(batch.map((e) => e.streamId))].map((id, no) => [no, id]);

  it('leaves carry the number, not the id, and numbers follow the order the log first saw the streams', () => {
    const db = openReadModelDb(':memory:');
    session(db, events.slice(0, 200));
    applyBatch(db, events.slice(200));
    expect(numbers(db)).toEqual(firstSeen(events));
    const columns = (db.prepare(`PRAGMA table_info(merkle_leaves)`).all() as { name: string }[]).map((c) => c.name);
    expect(columns).toEqual(['idx', 'position', 'stream_no', 'event_hash']);
    const index = new MerkleIndex(db);
    expect(index.leafAt(5)?.streamId).toBe(events[5].streamId);
    expect(index.leafOf(events[7].eventId)?.streamId).toBe(events[7].streamId);
    expect(index.countOutsideStream(290, events[290].streamId)).toBe(
      events.slice(290).filter((e) => e.streamId !== events[290].streamId).length,
    );
    expect(index.countOutsideStream(290, 'never-seen')).toBe(10);
    db.close();
  });

  it('gives the numbers of a batch that rolled back to the next streams: dense, and the roots right', () => {
    const db = openReadModelDb(':memory:');
    const index = new MerkleIndex(db);
    session(db, events.slice(0, 20));
    expect(index.streamsRoot()).toBe(reference(events.slice(0, 20)).streamsRoot);
    // A batch numbering new streams that then fails and rolls back (a bad hash after them, a projection that threw).
    const other = recorded(40, 40, 'x').map((e) => ({ ...e, streamId: `gone-${e.streamId}` }));
    expect(() =>
      db.transaction(() => {
        const s = merkleLeavesProjection.session!(db);
        for (const e of other.slice(0, 30)) s.apply(e);
        s.end();
        throw new Error('rolled back');
      })(),
    ).toThrow('rolled back');
    session(db, events.slice(20, 150));
    applyBatch(db, events.slice(150));
    expect(numbers(db)).toEqual(firstSeen(events));
    expect(index.streamsRoot()).toBe(reference(events).streamsRoot);
    expect(index.streamsRoot(100)).toBe(reference(events.slice(0, 100)).streamsRoot);
    db.close();
  });

  it("gives the definition's roots over numbers that are not in first-seen order (a table edited by hand)", () => {
    const db = openReadModelDb(':memory:');
    applyBatch(db, events);
    // Every stream renumbered backwards, leaves and persisted heads alike: the index maps numbers, it never assumes.
    db.exec(`UPDATE merkle_streams SET stream_no = -1 - stream_no; UPDATE merkle_streams SET stream_no = 36 + stream_no + 1;
      UPDATE merkle_leaves SET stream_no = 36 - stream_no;`);
    const index = new MerkleIndex(db);
    expect(index.streamsRoot()).toBe(reference(events).streamsRoot);
    applyBatch(db, recorded(320, 37).slice(300));
    expect(index.streamsRoot()).toBe(reference(recorded(320, 37)).streamsRoot);
    for (const h of index.streamHeadsAt())
      expect(verifyStreamHeadProof(index.streamHeadProof(h.streamId)!, index.streamsRoot())).toBe(true);
    db.close();
  });
});

describe('the merkle-leaves projection in a batch (whole chunks of rows per statement)', () => {
  const events = recorded(300, 37);
  const rows = (db: Db) => ({
    leaves: db.prepare(`SELECT * FROM merkle_leaves ORDER BY idx`).all(),
    events: db.prepare(`SELECT * FROM merkle_events ORDER BY idx`).all(),
  });
  const session = (db: Db, batch: RecordedEvent[]) =>
    db.transaction(() => {
      const s = merkleLeavesProjection.session!(db);
      for (const e of batch) s.apply(e);
      s.end();
    })();

  it('leaves the rows and the root that applying event by event leaves', () => {
    const perEvent = openReadModelDb(':memory:');
    const batched = openReadModelDb(':memory:');
    applyBatch(perEvent, events.slice(0, 10));
    session(batched, events.slice(0, 10));
    // 290 events: two whole chunks and a rest written a row at a time, after a first batch.
    applyBatch(perEvent, events.slice(10));
    session(batched, events.slice(10));
    expect(rows(batched)).toEqual(rows(perEvent));
    expect(rows(batched).leaves.length).toBe(300);
    expect(new MerkleIndex(batched).root()).toBe(reference(events).log.root());
    perEvent.close();
    batched.close();
  });

  it('gives a batch holding an event already in the log back (nothing written), to be applied event by event', () => {
    const db = openReadModelDb(':memory:');
    session(db, events.slice(0, 5));
    expect(() => session(db, events.slice(3, 200))).toThrow();
    expect(rows(db).leaves.length).toBe(5);
    applyBatch(db, events.slice(3, 200));
    expect(new MerkleIndex(db).root()).toBe(reference(events.slice(0, 200)).log.root());
    db.close();
  });
});
