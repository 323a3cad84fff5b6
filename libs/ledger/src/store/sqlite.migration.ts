/**
 * The embedded store's file formats and the step between them. `PRAGMA user_version` says the format: 0 is format 1
 * (sessions 1–4: one row per event with its stream id, both hashes and the correlation id as JSON text, commands
 * listing their event ids), 2 is the compact format of sqlite.row-codec.ts.
 *
 * A format-1 file is migrated when it is opened, in one IMMEDIATE transaction: every event keeps its position, its
 * hash and the bytes its hash covers (the row is decoded as format 1's readers decoded it, and encoded as format 2's
 * writer encodes it); a process killed half-way leaves the file as it was (SQLite rolls the WAL back), and the next
 * open starts again. docs/decisions.md says why migrate rather than read both formats.
 */
import type Database from 'better-sqlite3';
import { GENESIS_HASH, isHashHex, storedDataText } from '../integrity/event-hash';
import { STORE_FORMAT, encodeMetadata, storedHash, storedId } from './sqlite.row-codec';

/** Format 2 (docs/integrity.md §3.1). */
export const FORMAT_2_SCHEMA = `
-- Streams and event types are numbered: a row carries small integers, each name is kept once.
CREATE TABLE IF NOT EXISTS streams (
  stream_no INTEGER PRIMARY KEY,
  stream_id TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS types (
  type_no INTEGER PRIMARY KEY,
  type    TEXT NOT NULL UNIQUE
);
-- One row per event. event_id: 16 bytes for a lowercase UUID, else its text; metadata: the canonical text the hash
-- covers, shortened (sqlite.row-codec.ts); hash: 32 bytes. prevHash is not kept when it is the previous event's hash.
CREATE TABLE IF NOT EXISTS events (
  position  INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_no INTEGER NOT NULL,
  revision  INTEGER NOT NULL,
  event_id  BLOB NOT NULL,
  type_no   INTEGER NOT NULL,
  data      TEXT NOT NULL,
  metadata  TEXT NOT NULL,
  hash      BLOB,
  UNIQUE (stream_no, revision)
);
CREATE UNIQUE INDEX IF NOT EXISTS events_event_id ON events (event_id);
-- One row per command (contract §8.1), written in the transaction of its events: the idempotency check and the append
-- are one step, and a command id is scoped to its principal. Its events are consecutive: the first position and a count.
CREATE TABLE IF NOT EXISTS commands (
  scope          TEXT NOT NULL,
  command_id     BLOB NOT NULL,
  name           TEXT NOT NULL,
  hash           BLOB NOT NULL,
  first_position INTEGER,
  event_count    INTEGER NOT NULL,
  PRIMARY KEY (scope, command_id)
) WITHOUT ROWID;`;

/** Format 1, as sessions 1–4 created it: for the migration, and for tests that need an old file. */
export const FORMAT_1_SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position  INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id  TEXT NOT NULL UNIQUE,
  stream_id TEXT NOT NULL,
  revision  INTEGER NOT NULL,
  type      TEXT NOT NULL,
  data      TEXT NOT NULL,
  metadata  TEXT NOT NULL,
  UNIQUE (stream_id, revision)
);
CREATE TABLE IF NOT EXISTS commands (
  scope      TEXT NOT NULL,
  command_id TEXT NOT NULL,
  name       TEXT NOT NULL,
  hash       TEXT NOT NULL,
  event_ids  TEXT NOT NULL,
  PRIMARY KEY (scope, command_id)
) WITHOUT ROWID;`;

/** What {@link openFormat} did. */
export interface FormatOpened {
  created: boolean;
  /** Events migrated from format 1 (0 when the file was already format 2 or new). */
  migrated: number;
}

const userVersion = (db: Database.Database): number => db.pragma('user_version', { simple: true }) as number;

const columnsOf = (db: Database.Database, table: string): string[] =>
  (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((c) => c.name);

/**
 * Makes the open file format 2: creates it when empty, migrates it from format 1, refuses a newer format. Called by
 * {@link SqliteEventStore.open} before anything reads the file.
 */
export function openFormat(db: Database.Database): FormatOpened {
  const found = userVersion(db);
  if (found === STORE_FORMAT) return { created: false, migrated: 0 };
  if (found > STORE_FORMAT)
    throw new Error(`the store file is in format ${found}; this version reads formats up to ${STORE_FORMAT}`);
  let outcome: FormatOpened = { created: false, migrated: 0 };
  db.transaction(() => {
    // Read again under the write lock: another process may have created or migrated the file meanwhile.
    const version = userVersion(db);
    if (version === STORE_FORMAT) return;
    if (version !== 0) throw new Error(`the store file is in an unknown format ${version}`);
    const old = columnsOf(db, 'events');
    if (old.length === 0) {
      db.exec(FORMAT_2_SCHEMA);
      outcome = { created: true, migrated: 0 };
    } else if (old.includes('stream_id') && old.includes('metadata')) {
      outcome = { created: false, migrated: migrateFromFormat1(db) };
    } else throw new Error(`the store file's events table is in no known format (${old.join(', ')})`);
    db.pragma(`user_version = ${STORE_FORMAT}`);
  }).immediate();
  if (outcome.migrated > 0) {
    // Give the old rows' pages back (the new rows are about half their size), and empty the WAL the copy filled.
    db.exec('VACUUM');
    db.pragma('wal_checkpoint(TRUNCATE)');
  }
  return outcome;
}

type Format1Row = [number, string, string, number, string, string, string];
const PAGE = 5_000;

const parseOr = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Copies a format-1 file's events and commands into format-2 tables, inside the caller's transaction. Rows are
 * read as format 1's reader read them (JSON.parse) and written as format 2's writer writes them, so every reader
 * gets the same events back and every hash covers the same bytes. A row whose text does not parse is kept as it is
 * (it reads, and verifies, as badly as before).
 */
function migrateFromFormat1(db: Database.Database): number {
  // The sequence of positions survives: a deleted tail's positions are never handed out again (AUTOINCREMENT).
  const sequence =
    (db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`).pluck().get() as number | undefined) ?? 0;
  const hasCommands = columnsOf(db, 'commands').length > 0;
  db.exec(`ALTER TABLE events RENAME TO events_format1`);
  if (hasCommands) db.exec(`ALTER TABLE commands RENAME TO commands_format1`);
  db.exec(FORMAT_2_SCHEMA);
  const insertStream = db.prepare<[string]>(`INSERT INTO streams (stream_id) VALUES (?)`);
  const insertType = db.prepare<[string]>(`INSERT INTO types (type) VALUES (?)`);
  const insert = db.prepare(
    `INSERT INTO events (position, stream_no, revision, event_id, type_no, data, metadata, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  /** Per stream: its number, and its highest revision so far with that event's hash (the link a reader derives). */
  const streams = new Map<string, { no: number; revision: number; hash: string | undefined }>();
  const types = new Map<string, number>();
  let count = 0;
  // Pages, not one iterator: better-sqlite3 runs no other statement on a connection while one iterates.
  const page = db
    .prepare(
      `SELECT position, event_id, stream_id, revision, type, data, metadata FROM events_format1
       WHERE position > ? ORDER BY position LIMIT ${PAGE}`,
    )
    .raw();
  for (let after = -Infinity; ;) {
    const rows = page.all(after) as Format1Row[];
    if (rows.length === 0) break;
    after = rows[rows.length - 1][0];
    count += rows.length;
    for (const row of rows) copyEvent(row);
  }

  function copyEvent([position, eventId, streamId, revision, type, dataText, metadataText]: Format1Row): void {
    let stream = streams.get(streamId);
    if (!stream) {
      stream = { no: Number(insertStream.run(streamId).lastInsertRowid), revision: -1, hash: undefined };
      streams.set(streamId, stream);
    }
    let typeNo = types.get(type);
    if (typeNo === undefined) {
      typeNo = Number(insertType.run(type).lastInsertRowid);
      types.set(type, typeNo);
    }
    const data = parseOr(dataText);
    const parsed = parseOr(metadataText);
    // A reader derives prevHash from the stream's row of highest revision below this one: prevHash is left out only
    // when that row is the one just before it (no row read later can come between) and the hash is that row's.
    const link = revision === 0 ? GENESIS_HASH : revision === stream.revision + 1 ? stream.hash : undefined;
    let metadata: { text: string; hash: Buffer | null } = { text: metadataText, hash: null };
    if (parsed.ok && isRecord(parsed.value)) {
      const m = parsed.value;
      metadata = encodeMetadata(m, isHashHex(m.prevHash) && m.prevHash === link ? link : undefined);
    }
    insert.run(
      position,
      stream.no,
      revision,
      storedId(eventId),
      typeNo,
      data.ok ? storedDataText(data.value) : dataText,
      metadata.text,
      metadata.hash,
    );
    if (revision > stream.revision) {
      stream.revision = revision;
      stream.hash = metadata.hash ? metadata.hash.toString('hex') : undefined;
    }
  }

  const positionOf = db.prepare<[Buffer | string], number>(`SELECT position FROM events WHERE event_id = ?`).pluck();
  const insertCommand = db.prepare(
    `INSERT INTO commands (scope, command_id, name, hash, first_position, event_count) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const commandPage = hasCommands
    ? db
        .prepare(
          `SELECT scope, command_id, name, hash, event_ids FROM commands_format1
           WHERE (scope, command_id) > (?, ?) ORDER BY scope, command_id LIMIT ${PAGE}`,
        )
        .raw()
    : undefined;
  for (let last: [string, string] = ['', '']; commandPage;) {
    const rows = commandPage.all(...last) as [string, string, string, string, string][];
    if (rows.length === 0) break;
    last = [rows[rows.length - 1][0], rows[rows.length - 1][1]];
    for (const row of rows) copyCommand(row);
  }

  function copyCommand([scope, commandId, name, hash, eventIds]: [string, string, string, string, string]): void {
    const ids = parseOr(eventIds);
    const positions = (ids.ok && Array.isArray(ids.value) ? ids.value : [])
      .map((id) => positionOf.get(storedId(String(id))))
      .filter((p): p is number => p !== undefined);
    // A command's events were inserted one after another, so they are a run of positions; a deleted one leaves a
    // hole that a range read skips as format 1's read by ids did.
    const first = positions.length > 0 ? Math.min(...positions) : null;
    const span = first === null ? 0 : Math.max(...positions) - first + 1;
    if (ids.ok && Array.isArray(ids.value) && span > ids.value.length)
      throw new Error(`store migration: the events of command ${scope} ${commandId} are not one run of positions`);
    insertCommand.run(scope, storedId(commandId), name, storedHash(hash), first, span);
  }

  db.exec(`DROP TABLE events_format1`);
  if (hasCommands) db.exec(`DROP TABLE commands_format1`);
  const head = (db.prepare(`SELECT max(position) FROM events`).pluck().get() as number | null) ?? 0;
  const seq = Math.max(sequence, head);
  if (seq > 0) {
    db.prepare(`DELETE FROM sqlite_sequence WHERE name = 'events'`).run();
    db.prepare(`INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)`).run(seq);
  }
  return count;
}
