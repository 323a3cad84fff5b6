import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@app/ledger';
import type { Db } from '../db/read-model-db';
import type { Projection } from '../runner/projection';

/**
 * The leaves of the global Merkle log (contract §4, docs/integrity.md §2), one row per stored event in global order.
 * `idx` is the leaf index (dense from 0) and `event_hash` the event's chain hash as its 32 raw bytes: the leaf is
 * `sha256(0x00 ‖ event_hash)` (RFC 9162), recomputed when read rather than stored beside it (issue 16: the row was
 * 164 bytes with the leaf, the hash as hex text and the event id). `stream_id` lets the stream heads be rebuilt
 * without the store and the checkpointer tell whether anything but checkpoints was appended since the last one;
 * `position` is what a checkpoint names as its last event.
 *
 * `merkle_events` finds an event's leaf by its id (an export, an inclusion proof asked for by event id; EventStoreDB
 * has no lookup by id). Its key is the id's 16 bytes when it is a lowercase UUID (every id the ledger makes), else
 * the id's text, so a lookup is exact either way; it is also what makes a replayed event a no-op.
 */
export const MERKLE_LEAVES_TABLE = `
CREATE TABLE IF NOT EXISTS merkle_leaves (
  idx INTEGER PRIMARY KEY, position INTEGER NOT NULL, stream_id TEXT NOT NULL, event_hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS merkle_events (event_id BLOB PRIMARY KEY, idx INTEGER NOT NULL) WITHOUT ROWID;`;
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

const prepared = new WeakMap<
  Db,
  {
    claim: Database.Statement<[Buffer | string, number]>;
    insert: Database.Statement<[number, number, string, Buffer]>;
    claimChunk: Database.Statement<unknown[]>;
    insertChunk: Database.Statement<unknown[]>;
    next: Database.Statement<[], { idx: number }>;
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
      insert: db.prepare(`INSERT INTO merkle_leaves (idx, position, stream_id, event_hash) VALUES (?, ?, ?, ?)`),
      claimChunk: db.prepare(
        `INSERT OR IGNORE INTO merkle_events (event_id, idx) VALUES ${Array(CHUNK).fill('(?, ?)').join(', ')}`,
      ),
      insertChunk: db.prepare(
        `INSERT INTO merkle_leaves (idx, position, stream_id, event_hash) VALUES ${Array(CHUNK).fill('(?, ?, ?, ?)').join(', ')}`,
      ),
      next: db.prepare(`SELECT COALESCE(MAX(idx) + 1, 0) AS idx FROM merkle_leaves`),
    };
    prepared.set(db, s);
  }
  return s;
};

/** Appends the event's leaf at `idx` unless the event is there already; true when it was appended. */
const append = (s: ReturnType<typeof statementsFor>, idx: number, event: RecordedEvent): boolean => {
  const hash = eventHashBytes(event);
  if (s.claim.run(eventKey(event.eventId), idx).changes === 0) return false;
  s.insert.run(idx, event.position, event.streamId, hash);
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
    append(s, s.next.get()!.idx, event);
  },
  session(db: Db) {
    const s = statementsFor(db);
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
          leaves.push(next, e.position, e.streamId, eventHashBytes(e));
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
