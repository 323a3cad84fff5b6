import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@app/ledger';
import type { Db } from '../db/read-model-db';
import { hasTable } from '../db/statements';
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
 * An event's leaf is found by its id (an export, an inclusion proof asked for by event id) in one of two ways, which
 * the file records ({@link eventsFoundByStore}):
 * - over a store that finds an event's position by its id (`EventStore.positionOf`: the embedded store's own unique
 *   index), the leaf is the one at that position (`merkle_leaves.position` rises with `idx`), and the file keeps no
 *   event id at all (issue 16's disk: 27 bytes an event). A replayed event is then told by its position: the global
 *   order only moves forwards, so an event at or before the last leaf's position is in the log already.
 * - over a store without that lookup (EventStoreDB), `merkle_events` keeps each event's leaf by its id. Its key is
 *   the id's 16 bytes when it is a lowercase UUID (every id the ledger makes), else the id's text, so a lookup is
 *   exact either way; it is also what makes a replayed event a no-op.
 */
export const MERKLE_LEAVES_TABLE = `
CREATE TABLE IF NOT EXISTS merkle_leaves (
  idx INTEGER PRIMARY KEY, position INTEGER NOT NULL, stream_no INTEGER NOT NULL, event_hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS merkle_streams (stream_no INTEGER PRIMARY KEY, stream_id TEXT NOT NULL);`;
/** Only in a file whose events are not found through the store (see above). */
export const MERKLE_EVENTS_TABLE = `
CREATE TABLE IF NOT EXISTS merkle_events (event_id BLOB PRIMARY KEY, idx INTEGER NOT NULL) WITHOUT ROWID;`;

/** The `meta` row of a file whose events are found through the store: no row (or no `meta`), `merkle_events` kept. */
const BY_STORE = { key: 'merkle_event_ids', value: 'store' } as const;

/** True when this file keeps no `merkle_events` and an event's leaf is found by the position the store gives. */
export const eventsFoundByStore = (db: Db): boolean =>
  hasTable(db, 'meta') &&
  db.prepare(`SELECT 1 FROM meta WHERE key = ? AND value = ?`).get(BY_STORE.key, BY_STORE.value) !== undefined;

/**
 * Records how this file finds an event's leaf: through the store (`byStore`: `merkle_events` dropped) or by its own
 * `merkle_events`. Only for a log without leaves: the ids of leaves already written cannot be made up afterwards, nor
 * is it worth dropping them (the caller rebuilds or keeps the file as it is; see ReadModels).
 */
export const setEventsFoundByStore = (db: Db, byStore: boolean): void => {
  if (hasTable(db, 'merkle_leaves') && db.prepare(`SELECT 1 FROM merkle_leaves LIMIT 1`).get() !== undefined)
    throw new Error(`the Merkle log already has leaves: how it finds their events cannot change`);
  db.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
  if (byStore) {
    db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)`).run(BY_STORE.key, BY_STORE.value);
    db.exec(`DROP TABLE IF EXISTS merkle_events`);
  } else {
    db.prepare(`DELETE FROM meta WHERE key = ?`).run(BY_STORE.key);
    db.exec(MERKLE_EVENTS_TABLE);
  }
  // The statements were made for the other way.
  prepared.delete(db);
};
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

interface Statements {
  /** Undefined when the file's events are found through the store (no `merkle_events`). */
  claim: Database.Statement<[Buffer | string, number]> | undefined;
  claimChunk: Database.Statement<unknown[]> | undefined;
  insert: Database.Statement<[number, number, number, Buffer]>;
  insertChunk: Database.Statement<unknown[]>;
  last: Database.Statement<[], { idx: number; position: number }>;
  streams: StreamNumbers;
}

const prepared = new WeakMap<Db, Statements>();

/** A batch that holds an event already in the log: its session gives up, and the runner applies it event by event. */
class ReplayedInBatch extends Error {}

const statementsFor = (db: Db): Statements => {
  let s = prepared.get(db);
  if (!s) {
    db.exec(MERKLE_LEAVES_SCHEMA);
    const byStore = eventsFoundByStore(db);
    if (!byStore) db.exec(MERKLE_EVENTS_TABLE);
    s = {
      // A replayed event finds its id taken: it changes nothing and takes no index (idempotent projection).
      claim: byStore ? undefined : db.prepare(`INSERT OR IGNORE INTO merkle_events (event_id, idx) VALUES (?, ?)`),
      claimChunk: byStore
        ? undefined
        : db.prepare(
            `INSERT OR IGNORE INTO merkle_events (event_id, idx) VALUES ${Array(CHUNK).fill('(?, ?)').join(', ')}`,
          ),
      insert: db.prepare(`INSERT INTO merkle_leaves (idx, position, stream_no, event_hash) VALUES (?, ?, ?, ?)`),
      insertChunk: db.prepare(
        `INSERT INTO merkle_leaves (idx, position, stream_no, event_hash) VALUES ${Array(CHUNK).fill('(?, ?, ?, ?)').join(', ')}`,
      ),
      // The last leaf by the rowid: the next index, and the position a replayed event is at or before.
      last: db.prepare(`SELECT idx, position FROM merkle_leaves ORDER BY idx DESC LIMIT 1`),
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

/** Where the log ends: the next leaf's index and the last leaf's position (-Infinity when empty). */
const endOf = (s: Statements): { next: number; position: number } => {
  const last = s.last.get();
  return last ? { next: last.idx + 1, position: last.position } : { next: 0, position: -Infinity };
};

/**
 * Appends the event's leaf at `idx` unless the event is there already (its id claimed in `merkle_events`, or, in a
 * file without, its position not past `after`, the last leaf's); true when it was appended.
 */
const append = (s: Statements, idx: number, after: number, event: RecordedEvent): boolean => {
  const hash = eventHashBytes(event);
  if (s.claim ? s.claim.run(eventKey(event.eventId), idx).changes === 0 : event.position <= after) return false;
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
    const end = endOf(s);
    append(s, end.next, end.position, event);
  },
  session(db: Db) {
    const s = statementsFor(db);
    s.streams.reconcile();
    // A batch counts the indices itself from the table's next one (no query per row), and the positions.
    let { next, position: after } = endOf(s);
    // Whole chunks go in with one statement per table; the rest of the batch a row at a time.
    let claims: unknown[] = [];
    let leaves: unknown[] = [];
    const flush = () => {
      // A replayed event would be ignored by the claim and take no index; a chunk cannot tell which one it was, so
      // the batch is handed back to the runner, which applies it event by event (never happens in a rebuild).
      if (s.claimChunk && s.claimChunk.run(...claims).changes !== CHUNK) throw new ReplayedInBatch();
      s.insertChunk.run(...leaves);
      claims = [];
      leaves = [];
    };
    let pending: RecordedEvent[] = [];
    return {
      apply(event: RecordedEvent) {
        // Without `merkle_events` a replayed event is told here, by its position, and simply left out.
        if (!s.claim) {
          if (event.position <= after) return;
          after = event.position;
        }
        pending.push(event);
        if (pending.length < CHUNK) return;
        for (const e of pending) {
          if (s.claim) claims.push(eventKey(e.eventId), next);
          const hash = eventHashBytes(e);
          leaves.push(next, e.position, s.streams.numberFor(e.streamId), hash);
          next++;
        }
        pending = [];
        flush();
      },
      end() {
        // Their positions were checked as they came (`after` is past them now): -Infinity lets them in.
        for (const e of pending) if (append(s, next, -Infinity, e)) next++;
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
