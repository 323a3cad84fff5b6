/**
 * For tests that read or edit the embedded store's file behind its back (an insider with the data directory): rows
 * read and written with the store's own codec (format 2, sqlite.row-codec.ts), and a format-1 file written as
 * sessions 1–4 wrote it, for the migration's tests.
 */
import Database from 'better-sqlite3';
import type { RecordedEvent } from '../store/event-store.port';
import type { EventRow } from '../store/sqlite.event-store';
import { FORMAT_1_SCHEMA } from '../store/sqlite.migration';
import { derivedPrevHash, encodeMetadata, idOf, metadataOf } from '../store/sqlite.row-codec';
import { canonicalize, canonicalizeWithout } from '../integrity/canonical-json';
import { isHashHex, storedDataText } from '../integrity/event-hash';

/**
 * The text format 1 of the SQLite store (session 4) kept for an event's `metadata`: for a sealed event, the canonical
 * JSON of the metadata without its `hash` with the `hash` member appended last — `{…,"hash":"<hex>"}`. Other metadata
 * is canonical JSON, or JSON.stringify's text when it has no canonical form. Format 2 keeps it shorter
 * (store/sqlite.row-codec.ts); only the format-1 files these tests write need it.
 */
function storedMetadataText(metadata: Record<string, unknown> | null | undefined): string {
  const value = metadata ?? {};
  try {
    const hash = value.hash;
    if (!isHashHex(hash)) return canonicalize(value);
    const rest = canonicalizeWithout(value, 'hash');
    return (rest === '{}' ? '{' : rest.slice(0, -1) + ',') + `"hash":"${hash}"}`;
  } catch {
    return JSON.stringify(value);
  }
}

export type { EventRow as SqliteEventRow } from '../store/sqlite.event-store';

/** An event as the store's reader decodes it, with the row it was read from. */
export type StoredRowEvent = RecordedEvent & { row: EventRow };

const ROWS = `SELECT e.position, e.stream_no, e.revision, e.event_id, e.type_no, e.data, e.metadata, e.hash,
  s.stream_id, t.type,
  (SELECT coalesce(p.hash, p.metadata) FROM events p WHERE p.stream_no = e.stream_no AND p.revision < e.revision
   ORDER BY p.revision DESC LIMIT 1) AS previous
  FROM events e JOIN streams s ON s.stream_no = e.stream_no JOIN types t ON t.type_no = e.type_no`;

type Joined = EventRow & { stream_id: string; type: string; previous: Buffer | string | null };

const decode = (r: Joined): StoredRowEvent => {
  const { stream_id, type, previous, ...row } = r;
  return {
    eventId: idOf(row.event_id),
    type,
    streamId: stream_id,
    revision: row.revision,
    position: row.position,
    data: JSON.parse(row.data) as unknown,
    metadata: metadataOf(row.metadata, row.hash, derivedPrevHash(row.revision, previous)) as RecordedEvent['metadata'],
    row,
  };
};

/** The store's events in position order (optionally `WHERE` a condition on `e.`/`s.` columns), decoded. */
export const readStoredEvents = (db: Database.Database, where = '1', ...params: unknown[]): StoredRowEvent[] =>
  (db.prepare(`${ROWS} WHERE ${where} ORDER BY e.position`).all(...params) as Joined[]).map(decode);

/**
 * Rewrites the event at `position` in place, as the store's writer would have written it: `data` canonical, the
 * metadata encoded with its `prevHash` left to derive when it is the stream's link, `hash` in its column.
 */
export const writeStoredEvent = (
  db: Database.Database,
  position: number,
  change: { data?: unknown; metadata?: Record<string, unknown> },
): void => {
  const [event] = readStoredEvents(db, 'e.position = ?', position);
  if (!event) throw new Error(`no event at position ${position}`);
  const previous = db
    .prepare(
      'SELECT coalesce(hash, metadata) FROM events WHERE stream_no = ? AND revision < ? ORDER BY revision DESC LIMIT 1',
    )
    .pluck()
    .get(event.row.stream_no, event.revision) as Buffer | string | null | undefined;
  const link = derivedPrevHash(event.revision, previous);
  const metadata = change.metadata ?? event.metadata;
  const encoded = encodeMetadata(metadata, link === '' ? undefined : link);
  db.prepare('UPDATE events SET data = ?, metadata = ?, hash = ? WHERE position = ?').run(
    storedDataText(change.data === undefined ? event.data : change.data),
    encoded.text,
    encoded.hash,
    position,
  );
};

/** A command as format 1 kept it: its claim and its event ids. */
export interface Format1Command {
  scope: string;
  commandId: string;
  name: string;
  hash: string;
  eventIds: string[];
}

/**
 * Writes a store file in format 1, row for row as sessions 1–4's store wrote it (positions as given; data and
 * metadata as `storedDataText` / `storedMetadataText` make them, or `text` verbatim: rows written before session 4).
 */
export const writeFormat1Store = (
  file: string,
  events: ReadonlyArray<RecordedEvent & { text?: { data: string; metadata: string } }>,
  commands: readonly Format1Command[] = [],
): void => {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(FORMAT_1_SCHEMA);
    const insert = db.prepare(
      'INSERT INTO events (position, event_id, stream_id, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const insertCommand = db.prepare(
      'INSERT INTO commands (scope, command_id, name, hash, event_ids) VALUES (?, ?, ?, ?, ?)',
    );
    db.transaction(() => {
      for (const e of events)
        insert.run(
          e.position,
          e.eventId,
          e.streamId,
          e.revision,
          e.type,
          e.text?.data ?? storedDataText(e.data),
          e.text?.metadata ?? storedMetadataText(e.metadata),
        );
      for (const c of commands) insertCommand.run(c.scope, c.commandId, c.name, c.hash, JSON.stringify(c.eventIds));
    })();
  } finally {
    db.close();
  }
};
