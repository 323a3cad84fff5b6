import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@app/ledger';
import type { Db } from '../db/read-model-db';
import type { Projection } from '../runner/projection';

/**
 * The leaves of the global Merkle log (contract §4, docs/integrity.md §2), one row per stored event in global order.
 * `idx` is the leaf index (dense from 0) and `event_hash` the event's chain hash as its 32 raw bytes: the leaf is
 * `sha256(0x00 ‖ event_hash)` (RFC 9162), recomputed when read rather than stored beside it (issue 16: the row was
 * 164 bytes with the leaf, the hash as hex text and the event id). `stream_no` lets the stream heads be rebuilt
 * without the store and the checkpointer tell whether anything but checkpoints was appended since the last one;
 * `position` is what a checkpoint names as its last event.
 *
 * `merkle_streams` numbers the streams densely from 0 in the order the log first saw them (store-neutral: the
 * EventStoreDB adapter has no numbers). A leaf carries its stream's number rather than the id's text (~63 bytes a
 * leaf at 1M events, issue 16's disk), and the stream-heads tree takes the number as its own stream number
 * (`StreamHeadsTree.advanceNumbered`: its streams are numbered in the same first-seen order), so the index makes no
 * lookup by id per leaf (issue 10). No index by id: an id is looked up in the projection's cache of the table (a
 * unique index would repeat every id, ~4.4 bytes an event at 100k); the cache keeps the ids unique.
 *
 * `merkle_events` finds an event's leaf by its id (an export, an inclusion proof asked for by event id; EventStoreDB
 * has no lookup by id). Its key is the id's 16 bytes when it is a lowercase UUID (every id the ledger makes), else
 * the id's text, so a lookup is exact either way; it is also what makes a replayed event a no-op.
 */
export const MERKLE_LEAVES_TABLE = `
CREATE TABLE IF NOT EXISTS merkle_leaves (
  idx INTEGER PRIMARY KEY, position INTEGER NOT NULL, stream_no INTEGER NOT NULL, event_hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS merkle_events (event_id BLOB PRIMARY KEY, idx INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS merkle_streams (stream_no INTEGER PRIMARY KEY, stream_id TEXT NOT NULL);`;
/** None: the leaves are read by `idx` (the rowid) and the events by their key. Kept for the schema's shape. */
export const MERKLE_LEAVES_INDEXES = ``;
export const MERKLE_LEAVES_SCHEMA = MERKLE_LEAVES_TABLE + MERKLE_LEAVES_INDEXES;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The key of an event id in `merkle_events`: 16 bytes for a lowercase UUID, the text itself otherwise. */
export const eventKey = (eventId: string): Buffer | string =>
  UUID.test(eventId) ? Buffer.from(eventId.replace(/-/g, ''), 'hex') : eventId;

/**
 * The event's chain hash as 32 bytes. An event without a well-formed `metadata.hash` (never sealed) throws: the runner
 * records the failure and the tree lacks that leaf, which `verify` then names as `missing-hash`.
 */
const eventHashBytes = (event: RecordedEvent): Buffer => {
  const hash = (event.metadata as { hash?: unknown } | undefined)?.hash;
  // Buffer.from stops at the first character that is not hex, so a short result is a malformed hash.
  const bytes = typeof hash === 'string' && hash.length === 64 ? Buffer.from(hash, 'hex') : undefined;
  if (!bytes || bytes.length !== 32 || bytes.toString('hex') !== hash)
    throw new TypeError(`event ${event.eventId} has no 64-hex metadata.hash`);
  return bytes;
};

/**
 * Rows a batch writes per statement: one multi-row INSERT per table for every CHUNK events (a rebuild page, a bulk
 * batch) instead of a statement per row, which was most of this projection's CPU in a rebuild.
 */
const CHUNK = 128;

/**
 * The stream numbers of one file, kept in memory so that numbering an event costs one Map lookup (the only lookup by
 * id on the Merkle side of the live path: it replaced the index's own per-leaf Map by id, see MerkleIndex.sync).
 * Numbers made inside a transaction that then rolled back are not in the table: {@link reconcile} compares the cache
 * with the table's last row before each use and forgets what the table does not hold.
 */
class StreamNumbers {
  readonly byId = new Map<string, number>();
  readonly ids: string[] = [];
  constructor(
    private readonly last: Database.Statement<[], { stream_no: number; stream_id: string }>,
    private readonly all: Database.Statement<[], { stream_no: number; stream_id: string }>,
    private readonly insert: Database.Statement<[number, string]>,
  ) {}

  /** Makes the cache agree with the table: what it holds beyond the table's last row is dropped. */
  reconcile(): void {
    const row = this.last.get();
    const count = row ? row.stream_no + 1 : 0;
    const ids = this.ids;
    const agrees = count === 0 || ids[count - 1] === row!.stream_id;
    if (count === ids.length && agrees) return;
    if (count < ids.length && agrees) {
      // A batch that numbered streams rolled back: those numbers are free again.
      for (const id of ids.splice(count)) this.byId.delete(id);
      return;
    }
    // The first use of a file, or another writer's rows: read the table (once per start; 100k rows are ~50 ms).
    this.byId.clear();
    ids.length = 0;
    for (const r of this.all.iterate()) {
      if (r.stream_no !== ids.length) throw new Error(`merkle_streams is not numbered densely at ${r.stream_no}`);
      ids.push(r.stream_id);
      this.byId.set(r.stream_id, r.stream_no);
    }
  }

  /** The number of `streamId`, made (the next one) when the log has not seen the stream yet. */
  numberFor(streamId: string): number {
    const known = this.byId.get(streamId);
    if (known !== undefined) return known;
    const no = this.ids.length;
    this.insert.run(no, streamId);
    this.byId.set(streamId, no);
    this.ids.push(streamId);
    return no;
  }
}

const prepared = new WeakMap<
  Db,
  {
    claim: Database.Statement<[Buffer | string, number]>;
    insert: Database.Statement<[number, number, number, Buffer]>;
    claimChunk: Database.Statement<unknown[]>;
    insertChunk: Database.Statement<unknown[]>;
    next: Database.Statement<[], { idx: number }>;
    streams: StreamNumbers;
  }
>();

/** A batch that holds an event already in the log: its session gives up, and the runner applies it event by event. */
class ReplayedInBatch extends Error {}

const statementsFor = (db: Db) => {
  let s = prepared.get(db);
  if (!s) {
    db.exec(MERKLE_LEAVES_SCHEMA);
    s = {
      // A replayed event finds its id taken: it changes nothing and takes no index (idempotent projection).
      claim: db.prepare(`INSERT OR IGNORE INTO merkle_events (event_id, idx) VALUES (?, ?)`),
      insert: db.prepare(`INSERT INTO merkle_leaves (idx, position, stream_no, event_hash) VALUES (?, ?, ?, ?)`),
      claimChunk: db.prepare(
        `INSERT OR IGNORE INTO merkle_events (event_id, idx) VALUES ${Array(CHUNK).fill('(?, ?)').join(', ')}`,
      ),
      insertChunk: db.prepare(
        `INSERT INTO merkle_leaves (idx, position, stream_no, event_hash) VALUES ${Array(CHUNK).fill('(?, ?, ?, ?)').join(', ')}`,
      ),
      next: db.prepare(`SELECT COALESCE(MAX(idx) + 1, 0) AS idx FROM merkle_leaves`),
      streams: new StreamNumbers(
        db.prepare(`SELECT stream_no, stream_id FROM merkle_streams ORDER BY stream_no DESC LIMIT 1`),
        db.prepare(`SELECT stream_no, stream_id FROM merkle_streams ORDER BY stream_no`),
        db.prepare(`INSERT INTO merkle_streams (stream_no, stream_id) VALUES (?, ?)`),
      ),
    };
    prepared.set(db, s);
  }
  return s;
};

/** Appends the event's leaf at `idx` unless the event is there already; true when it was appended. */
const append = (s: ReturnType<typeof statementsFor>, idx: number, event: RecordedEvent): boolean => {
  const hash = eventHashBytes(event);
  if (s.claim.run(eventKey(event.eventId), idx).changes === 0) return false;
  s.insert.run(idx, event.position, s.streams.numberFor(event.streamId), hash);
  return true;
};

/**
 * Appends one leaf per event, for every event of the global log — the `ledger-checkpoints` stream included, so a
 * checkpoint is itself covered by the next checkpoint. The rows commit in the runner's transaction, together with its
 * checkpoint.
 */
export const merkleLeavesProjection: Projection = {
  name: 'merkle-leaves-v1',
  apply(db: Db, event: RecordedEvent) {
    const s = statementsFor(db);
    s.streams.reconcile();
    append(s, s.next.get()!.idx, event);
  },
  session(db: Db) {
    const s = statementsFor(db);
    s.streams.reconcile();
    // A batch counts the indices itself from the table's next one (no MAX per row).
    let next = s.next.get()!.idx;
    // Whole chunks go in with one statement per table; the rest of the batch a row at a time.
    let claims: unknown[] = [];
    let leaves: unknown[] = [];
    const flush = () => {
      // A replayed event would be ignored by the claim and take no index; a chunk cannot tell which one it was, so
      // the batch is handed back to the runner, which applies it event by event (never happens in a rebuild).
      if (s.claimChunk.run(...claims).changes !== CHUNK) throw new ReplayedInBatch();
      s.insertChunk.run(...leaves);
      claims = [];
      leaves = [];
    };
    let pending: RecordedEvent[] = [];
    return {
      apply(event: RecordedEvent) {
        pending.push(event);
        if (pending.length < CHUNK) return;
        for (const e of pending) {
          claims.push(eventKey(e.eventId), next);
          const hash = eventHashBytes(e);
          leaves.push(next, e.position, s.streams.numberFor(e.streamId), hash);
          next++;
        }
        pending = [];
        flush();
      },
      end() {
        for (const e of pending) if (append(s, next, e)) next++;
        pending = [];
      },
    };
  },
};

/** Creates the leaves table when missing (the read-model schema also creates it; this keeps the projection self-contained). */
export const ensureMerkleLeavesTable = (db: Db): void => {
  statementsFor(db);
};

/**
 * The number `merkle_streams` gives `streamId` in `db`, or undefined when the log has not seen it: the projection's
 * own cache, for the index's rebuild path (appendCommitted), which follows rows this projection has just written.
 */
export const streamNumberOf = (db: Db, streamId: string): number | undefined => {
  const s = statementsFor(db);
  const cached = s.streams.byId.get(streamId);
  if (cached !== undefined) return cached;
  s.streams.reconcile();
  return s.streams.byId.get(streamId);
};
