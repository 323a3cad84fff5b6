import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ITEM_ACCESS_TABLE } from '../custody/item-access';
import { PERSON_INDEX_SCHEMA } from '../custody/person-index.projection';
import { MERKLE_LEAVES_INDEXES, MERKLE_LEAVES_TABLE } from '../merkle/merkle-leaves.projection';

export type Db = Database.Database;

/**
 * Bump when a table's shape or a projection's meaning changes: an older file is dropped and rebuilt from the store
 * (read models are disposable; the store is the only source of truth).
 */
// 2: merkle_leaves (the global Merkle log's leaves); an older file has none, so it must be replayed.
// 3: incidents.report_due_ms/reported_ms (overdue filtered in SQL), person_events/person_ranks/person_levels (readers
//    at an instant without folding every person stream).
// 4: command_events dropped (idempotency lives in the store's own commands table; nothing read the copy), and the
//    indexes split from the tables so a rebuild creates them once at the end.
// 5: custody_holders (a departure entered late is judged by the items held then).
// 6: merkle_leaves slimmed (the event hash as 32 bytes, no leaf column, no event id) and merkle_events (an event's
//    leaf by its id), issue 16; violations.data holds only the source and the detail (the rest is in columns).
// 7: item_access (the items a person may read, by the gates of the reading rule), issue 16.
// 8: merkle_streams (each stream numbered in first-seen order); merkle_leaves and merkle_heads carry that number, not
//    the id text (issue 10: no lookup by id per leaf; issue 16: ~63 bytes less a leaf).
// 9: merkle_streams without its unique index on the id (the projection's cache keeps ids unique; ~4 bytes an event).
// 10: no merkle_events over a store that finds an event's position by its id (the embedded store: `positionOf`);
//     a replayed event is told by its position (issue 16: 27 bytes an event).
// 11: deadlines.deadline without the members its columns hold (key, kind, stream, the due instant as ISO text).
export const READ_MODEL_SCHEMA_VERSION = 11;

/** The tables, without their secondary indexes (a rebuild fills them first and indexes them once, at the end). */
const TABLES = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- The last event applied, written with every batch: its position is the runner's checkpoint (a checkpoints table
-- kept the same position in a row of its own until session 5: one page more in every commit's WAL, issue 16).
CREATE TABLE IF NOT EXISTS applied_head (
  name TEXT PRIMARY KEY, position INTEGER NOT NULL, event_id TEXT NOT NULL, stream_id TEXT NOT NULL,
  revision INTEGER NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stream_states (stream_id TEXT PRIMARY KEY, kind TEXT NOT NULL, revision INTEGER NOT NULL, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
  item_id TEXT PRIMARY KEY, status TEXT NOT NULL, custodian TEXT, place_id TEXT, level TEXT NOT NULL,
  declassify_on TEXT, copy_of TEXT, title TEXT NOT NULL, view TEXT NOT NULL, updated_position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS persons (person_id TEXT PRIMARY KEY, view TEXT NOT NULL);
-- Every person who has been custodian of record of an item (a departure entered late is judged by what was held then).
CREATE TABLE IF NOT EXISTS custody_holders (person_id TEXT NOT NULL, item_id TEXT NOT NULL, PRIMARY KEY (person_id, item_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS places (place_id TEXT PRIMARY KEY, view TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS incidents (
  incident_id TEXT PRIMARY KEY, status TEXT NOT NULL, kind TEXT NOT NULL, discovered_at TEXT NOT NULL,
  report_due_at TEXT NOT NULL, reported_at TEXT, closed_at TEXT, view TEXT NOT NULL, opened_position INTEGER NOT NULL,
  report_due_ms INTEGER NOT NULL, reported_ms INTEGER);
CREATE TABLE IF NOT EXISTS incident_items (incident_id TEXT NOT NULL, item_id TEXT NOT NULL, PRIMARY KEY (incident_id, item_id));
CREATE TABLE IF NOT EXISTS violations (
  violation_id TEXT PRIMARY KEY, position INTEGER NOT NULL, stream_id TEXT NOT NULL, event_id TEXT NOT NULL,
  code TEXT NOT NULL, severity TEXT NOT NULL, item_id TEXT, person_id TEXT, at TEXT NOT NULL, recorded_at TEXT NOT NULL,
  status TEXT NOT NULL, resolved_at TEXT, resolved_by TEXT, resolution_note TEXT, incident_id TEXT, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deadlines (key TEXT PRIMARY KEY, kind TEXT NOT NULL, stream_id TEXT NOT NULL, due_at TEXT NOT NULL, deadline TEXT NOT NULL);
${MERKLE_LEAVES_TABLE}
${PERSON_INDEX_SCHEMA}
${ITEM_ACCESS_TABLE}
`;

/** Secondary indexes: what the queries read by. */
const INDEXES = `
CREATE INDEX IF NOT EXISTS items_custodian ON items (custodian);
CREATE INDEX IF NOT EXISTS items_place ON items (place_id);
CREATE INDEX IF NOT EXISTS items_copy_of ON items (copy_of);
CREATE INDEX IF NOT EXISTS items_status ON items (status);
CREATE INDEX IF NOT EXISTS incidents_opened ON incidents (opened_position);
CREATE INDEX IF NOT EXISTS incidents_status ON incidents (status, opened_position);
CREATE INDEX IF NOT EXISTS incidents_kind ON incidents (kind, opened_position);
CREATE INDEX IF NOT EXISTS incident_items_item ON incident_items (item_id);
CREATE INDEX IF NOT EXISTS violations_item ON violations (item_id, position);
CREATE INDEX IF NOT EXISTS violations_person ON violations (person_id, position);
CREATE INDEX IF NOT EXISTS violations_code ON violations (code, position);
CREATE INDEX IF NOT EXISTS violations_position ON violations (position);
CREATE INDEX IF NOT EXISTS violations_status_position ON violations (status, position);
CREATE INDEX IF NOT EXISTS violations_status_severity ON violations (status, severity, position);
CREATE INDEX IF NOT EXISTS deadlines_due ON deadlines (due_at);
${MERKLE_LEAVES_INDEXES}
`;

/** True when the file is a sound SQLite database; false when it is damaged or not a database at all. */
const passesIntegrityCheck = (db: Db): boolean => {
  try {
    const rows = db.pragma('quick_check') as { quick_check: string }[];
    return rows.length === 1 && rows[0].quick_check === 'ok';
  } catch {
    return false;
  }
};

/** Where a clean close leaves its stamp: the file's size and modification time as that close left them. */
const stampFile = (file: string): string => `${file}.clean`;

interface CloseStamp {
  size: number;
  /** Compared to the millisecond (what every file system and `utimes` keep). */
  mtimeMs: number;
}

/**
 * True when the file is exactly as a clean close left it: its stamp is there, the file's size and modification time
 * are the stamp's, and there is no WAL (a clean close folds it into the file). The stamp is removed either way, so
 * a process that dies while the file is open leaves none and its successor checks the whole file.
 */
const untouchedSinceCleanClose = (file: string): boolean => {
  const stamp = stampFile(file);
  try {
    const seen = JSON.parse(fs.readFileSync(stamp, 'utf8')) as CloseStamp;
    const now = fs.statSync(file);
    return now.size === seen.size && Math.abs(now.mtimeMs - seen.mtimeMs) < 1 && !fs.existsSync(`${file}-wal`);
  } catch {
    return false;
  } finally {
    fs.rmSync(stamp, { force: true });
  }
};

/**
 * Opens (or creates) the read-model SQLite file beside the service. NORMAL sync: it can always be rebuilt.
 * A damaged file (overwritten bytes, a torn write, not a database at all) fails SQLite's `quick_check` here and is
 * deleted: the runner then replays the store from the start into a fresh file (read models are disposable).
 *
 * The check reads every page (1.4 s at a million events, issue 16), so it is skipped when the file is untouched since
 * a clean close ({@link closeReadModelDb}): anything that wrote to the file while no service had it open changed its
 * modification time, and a process that died with the file open left no stamp. See docs/decisions.md.
 */
export const openReadModelDb = (file: string): Db => {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const clean = file !== ':memory:' && fs.existsSync(file) && untouchedSinceCleanClose(file);
  let db = new Database(file);
  if (file !== ':memory:' && !clean && !passesIntegrityCheck(db)) {
    db.close();
    console.error(
      JSON.stringify({
        level: 'warn',
        msg: 'read-model file failed its integrity check; rebuilding it from the store',
        file: path.basename(file),
      }),
    );
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    db = new Database(file);
  }
  const version = (() => {
    try {
      return (db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get() as { value: string } | undefined)?.value;
    } catch {
      return undefined;
    }
  })();
  if (version !== undefined && version !== String(READ_MODEL_SCHEMA_VERSION)) {
    db.close();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    db = new Database(file);
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // 32 MiB of page cache (SQLite's default is 2 MiB): the indexes a projection batch and a dashboard page touch stay
  // in memory at a million events, within the service's memory budget.
  db.pragma('cache_size = -32768');
  db.exec(TABLES);
  db.exec(INDEXES);
  // A file of schema 6 kept the checkpoint twice; its applied head holds the same position (written together).
  db.exec(`DROP TABLE IF EXISTS checkpoints`);
  db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)`).run(String(READ_MODEL_SCHEMA_VERSION));
  return db;
};

/**
 * Closes the file and, when the close folded the WAL back into it (no other connection holds it), stamps its size and
 * modification time so that the next open can skip the full integrity check.
 */
export const closeReadModelDb = (db: Db): void => {
  const file = db.name;
  const onDisk = db.open && !db.memory && file !== '' && file !== ':memory:';
  db.close();
  if (!onDisk) return;
  try {
    if (fs.existsSync(`${file}-wal`)) return;
    const { size, mtimeMs } = fs.statSync(file);
    fs.writeFileSync(stampFile(file), JSON.stringify({ size, mtimeMs } satisfies CloseStamp));
  } catch {
    // No stamp: the next open checks the whole file, as after a crash.
  }
};

/** Empties every projected table (a rebuild replays the store from the start afterwards). */
export const clearReadModels = (db: Db): void => {
  const tables = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('meta', 'sqlite_sequence')`)
    .all() as { name: string }[];
  db.transaction(() => tables.forEach((t) => db.exec(`DELETE FROM "${t.name}"`)))();
};

/**
 * A new, empty read-model file for a rebuild, written as fast as SQLite writes: no journal, no fsync, one exclusive
 * connection, no secondary indexes yet (see {@link finishRebuiltReadModelDb}). None of that is crash-safe, and it
 * need not be: the file is not the live one until the rebuild renames it into place, so a crash leaves the live
 * file as it was and a half-written one that the next rebuild deletes.
 */
export const openRebuildReadModelDb = (file: string): Db => {
  for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(file + suffix, { force: true });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('temp_store = MEMORY');
  // 64 MiB of page cache while rebuilding: the tables' B-trees stay in memory between batches.
  db.pragma('cache_size = -65536');
  db.exec(TABLES);
  return db;
};

/** Indexes the rebuilt tables and marks the schema version (then {@link putRebuiltReadModelFile} puts it in place). */
export const finishRebuiltReadModelDb = (db: Db): void => {
  db.exec(INDEXES);
  db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)`).run(String(READ_MODEL_SCHEMA_VERSION));
};

const fsyncPath = (p: string): void => {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
};

/**
 * Replaces the live read-model file with a rebuilt (closed) one, crash-safe: the rebuilt file is synced first (it was
 * written without a journal or fsync), the live file's WAL is removed (it belongs to the old file and would be
 * replayed into the new one), then one atomic rename. A crash before the rename leaves the old file live.
 */
export const putRebuiltReadModelFile = (rebuilt: string, live: string): void => {
  fsyncPath(rebuilt);
  for (const f of [`${live}-wal`, `${live}-shm`, stampFile(live)]) fs.rmSync(f, { force: true });
  fs.renameSync(rebuilt, live);
  fsyncPath(path.dirname(live));
  // Closed by this process after its last write and synced: as clean a close as any, so the open that follows skips
  // the full integrity check (a crash before this line leaves no stamp, and the file is checked).
  const { size, mtimeMs } = fs.statSync(live);
  fs.writeFileSync(stampFile(live), JSON.stringify({ size, mtimeMs } satisfies CloseStamp));
};
