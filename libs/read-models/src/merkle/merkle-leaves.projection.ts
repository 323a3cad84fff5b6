import type Database from 'better-sqlite3';
import { type RecordedEvent, leafHashBytes } from '@app/ledger';
import type { Db } from '../db/read-model-db';
import type { Projection } from '../runner/projection';

/**
 * The leaves of the global Merkle log (contract §4, docs/integrity.md §2), one row per stored event in global order.
 * `idx` is the leaf index (dense from 0), `leaf` the 32-byte RFC 9162 leaf hash `sha256(0x00 ‖ event hash)`;
 * `event_hash` and `stream_id` are kept beside it so the in-memory log can be rebuilt and checked without the
 * store, and so the checkpointer can tell whether anything but checkpoints was appended since the last one.
 */
export const MERKLE_LEAVES_TABLE = `
CREATE TABLE IF NOT EXISTS merkle_leaves (
  idx INTEGER PRIMARY KEY, position INTEGER NOT NULL, event_id TEXT NOT NULL, stream_id TEXT NOT NULL,
  event_hash TEXT NOT NULL, leaf BLOB NOT NULL);`;
/** Apart from the table, so that a rebuild builds them once at the end rather than row by row. */
export const MERKLE_LEAVES_INDEXES = `
CREATE UNIQUE INDEX IF NOT EXISTS merkle_leaves_position ON merkle_leaves (position);
CREATE UNIQUE INDEX IF NOT EXISTS merkle_leaves_event ON merkle_leaves (event_id);`;
export const MERKLE_LEAVES_SCHEMA = MERKLE_LEAVES_TABLE + MERKLE_LEAVES_INDEXES;

const prepared = new WeakMap<
  Db,
  {
    insert: Database.Statement<[number, string, string, string, Buffer]>;
    insertAt: Database.Statement<[number, number, string, string, string, Buffer]>;
    next: Database.Statement<[], { idx: number }>;
  }
>();

const statementsFor = (db: Db) => {
  let s = prepared.get(db);
  if (!s) {
    db.exec(MERKLE_LEAVES_SCHEMA);
    s = {
      // The next index is computed inside the statement, so it is always MAX(idx) + 1 of what this transaction sees.
      // OR IGNORE on the UNIQUE event_id / position makes a replayed event a no-op (idempotent projection).
      insert: db.prepare(
        `INSERT OR IGNORE INTO merkle_leaves (idx, position, event_id, stream_id, event_hash, leaf)
         SELECT COALESCE(MAX(idx) + 1, 0), ?, ?, ?, ?, ? FROM merkle_leaves`,
      ),
      // A batch counts the indices itself from the table's next one (no MAX per row); a replayed event changes
      // nothing and takes no index.
      insertAt: db.prepare(
        `INSERT OR IGNORE INTO merkle_leaves (idx, position, event_id, stream_id, event_hash, leaf) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      next: db.prepare(`SELECT COALESCE(MAX(idx) + 1, 0) AS idx FROM merkle_leaves`),
    };
    prepared.set(db, s);
  }
  return s;
};

/**
 * Appends one leaf per event, for every event of the global log — the `ledger-checkpoints` stream included, so a
 * checkpoint is itself covered by the next checkpoint. An event without a well-formed `metadata.hash` (never sealed)
 * makes `leafHashBytes` throw: the runner records the failure and the tree lacks that leaf, which `verify` then names as
 * `missing-hash`. The rows commit in the runner's transaction, together with its checkpoint.
 */
export const merkleLeavesProjection: Projection = {
  name: 'merkle-leaves-v1',
  apply(db: Db, event: RecordedEvent) {
    const hash = (event.metadata as { hash?: unknown } | undefined)?.hash as string;
    const leaf = leafHashBytes(hash);
    statementsFor(db).insert.run(event.position, event.eventId, event.streamId, hash, leaf);
  },
  session(db: Db) {
    const s = statementsFor(db);
    let next = s.next.get()!.idx;
    return {
      apply(event: RecordedEvent) {
        const hash = (event.metadata as { hash?: unknown } | undefined)?.hash as string;
        const leaf = leafHashBytes(hash);
        if (s.insertAt.run(next, event.position, event.eventId, event.streamId, hash, leaf).changes > 0) next++;
      },
      end() {},
    };
  },
};

/** Creates the leaves table when missing (the read-model schema also creates it; this keeps the projection self-contained). */
export const ensureMerkleLeavesTable = (db: Db): void => {
  statementsFor(db);
};
