import { statement } from '../db/statements';
import type { RecordedEvent } from '@app/ledger';
import { evolveStream, initialStateOf, parseStream, itemView, personView, placeView, incidentView } from '@app/custody';
import type { Db } from '../db/read-model-db';
import type { Projection } from '../runner/projection';
import { writeItemAccess } from './item-access';

/**
 * Parsed states of recently written streams, per connection, each with the revision it was folded to. A state is
 * used only when the stored row is at that very revision, so a batch that rolled back (the row still at an older
 * revision) or a cleared table (no row) is never answered from here; otherwise the state is parsed from its row.
 * Two generations of at most RECENT_MAX / 2 each (at least the last RECENT_MAX / 2 written are remembered): when the
 * young one is full it becomes the old one and the old one is dropped. Not a Map trimmed of its first key on every
 * write — V8 leaves a deleted entry as a hole at the front of a Map until it rehashes, so `keys().next()` walked up
 * to some 40,000 holes each time: 1 s of a rebuild at 1M events writing its 143k streams (issue 16).
 */
const recent = new WeakMap<Db, { young: Map<string, Recent>; old: Map<string, Recent> }>();
const RECENT_MAX = 20_000;

interface Recent {
  revision: number;
  state: unknown;
}

const stateAt = (db: Db, streamId: string, revision: number, text: string): unknown => {
  const r = recent.get(db);
  const hit = r?.young.get(streamId) ?? r?.old.get(streamId);
  if (hit && hit.revision === revision) return hit.state;
  return JSON.parse(text);
};

const remember = (db: Db, streamId: string, revision: number, state: unknown): void => {
  let r = recent.get(db);
  if (!r) recent.set(db, (r = { young: new Map(), old: new Map() }));
  r.young.set(streamId, { revision, state });
  if (r.young.size >= RECENT_MAX / 2) {
    r.old = r.young;
    r.young = new Map();
  }
};

type Parsed = NonNullable<ReturnType<typeof parseStream>>;

/** A stream's state after the last event applied to it, not yet written. */
interface Pending {
  parsed: Parsed;
  revision: number;
  state: unknown;
  /** Position of the last event folded (an item row's `updated_position`). */
  position: number;
  /** For an incident: position of the first event after which it had a view (its `opened_position` if new). */
  viewSince: number | undefined;
  /** For an item: the custodians of record it was given since the last write (the custody_holders index). */
  holders?: string[];
  /** The state its rows were last written from (undefined: no rows yet), to write only the columns that changed. */
  stored: unknown;
  /** The stored row's state text (written from `stored`). */
  storedText: string | undefined;
}

/** The stream's row as stored (its revision and state text), or undefined for a stream with no row yet. */
const storedRow = (db: Db, streamId: string): { revision: number; state: string } | undefined =>
  statement(db, `SELECT revision, state FROM stream_states WHERE stream_id = ?`).get(streamId) as
    { revision: number; state: string } | undefined;

/**
 * The state text of `now` made from `was`'s stored text, when `now` differs from `was` only in its leading `revision`
 * (same members in the same order, every other member the very same value): most sensor facts (a reading, a
 * sighting that changes nothing) move an item's revision alone, and JSON.stringify of its ~45 members was the
 * largest cost of the batch path's projection (issue 16). Undefined otherwise. Exact because the domain's states are
 * immutable (evolve returns new objects and never changes one in place), so a member that is the same reference
 * prints the same text; the stored text is JSON.stringify's own (or its text round-tripped through JSON.parse).
 */
export const textMovingRevision = (was: unknown, now: unknown, wasText: string | undefined): string | undefined => {
  if (wasText === undefined || typeof was !== 'object' || was === null || typeof now !== 'object' || now === null)
    return undefined;
  const a = was as Record<string, unknown>;
  const b = now as Record<string, unknown>;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length || keysB[0] !== 'revision' || keysA[0] !== 'revision') return undefined;
  for (let i = 1; i < keysB.length; i++) {
    const k = keysB[i];
    if (k !== keysA[i] || a[k] !== b[k]) return undefined;
  }
  const head = `{"revision":${JSON.stringify(a.revision)}`;
  if (!wasText.startsWith(head) || (wasText[head.length] !== ',' && wasText[head.length] !== '}')) return undefined;
  return `{"revision":${JSON.stringify(b.revision)}${wasText.slice(head.length)}`;
};

/** Folds `event` onto `before`; undefined when the event is not newer than what `before` was folded to. */
const fold = (
  event: RecordedEvent,
  parsed: Parsed,
  before:
    | {
        revision: number;
        state: unknown;
        viewSince: number | undefined;
        holders?: string[];
        stored: unknown;
        storedText: string | undefined;
      }
    | undefined,
): Pending | undefined => {
  if (before && event.revision <= before.revision) return undefined;
  const state = evolveStream(event.streamId, before ? before.state : initialStateOf(event.streamId), {
    type: event.type,
    data: event.data as Record<string, unknown>,
  });
  let viewSince = before?.viewSince;
  if (parsed.kind === 'incident' && viewSince === undefined && incidentView(state as never)) viewSince = event.position;
  let holders = before?.holders;
  if (parsed.kind === 'item') {
    const custodian = (state as { custodian?: string | null }).custodian ?? null;
    const previous = before ? ((before.state as { custodian?: string | null }).custodian ?? null) : null;
    if (custodian !== null && custodian !== previous) holders = [...(holders ?? []), custodian];
  }
  return {
    parsed,
    revision: event.revision,
    state,
    position: event.position,
    viewSince,
    holders,
    stored: before?.stored,
    storedText: before?.storedText,
  };
};

/**
 * Writes a stream's state row and its flat view row. Called once per event (`apply`) or once per stream per batch
 * (`session`): the rows come out the same, since they depend only on the last state, the last position and (for an
 * incident) the position it first had a view at. A view never goes back to null once a stream has one (the states
 * only ever leave `none`), so writing the last non-null view is writing every one of them in turn.
 */
// Upserts that update rows in place, never INSERT OR REPLACE: a replace deletes the row and inserts it again under a
// new rowid, rewriting every index of the table (a command's commit wrote some 11 pages of `items` where the update
// below writes one; issue 16, the live path).
const write = (db: Db, streamId: string, p: Pending): void => {
  const { parsed, state } = p;
  remember(db, streamId, p.revision, state);
  const moved = textMovingRevision(p.stored, state, p.storedText);
  statement(
    db,
    `INSERT INTO stream_states (stream_id, kind, revision, state) VALUES (?, ?, ?, ?)
     ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision, state = excluded.state`,
  ).run(streamId, parsed.kind, p.revision, moved ?? JSON.stringify(state));
  if (moved !== undefined) {
    // Only the revision moved: no view reads it (stream-state.projection.spec.ts holds every view to that), so the view
    // rows stay as they are but for an item's updated_position; a custodian given and taken back within a batch
    // still leaves its custody_holders rows.
    if (parsed.kind !== 'item') return;
    for (const personId of p.holders ?? [])
      statement(db, `INSERT OR IGNORE INTO custody_holders (person_id, item_id) VALUES (?, ?)`).run(
        personId,
        parsed.id,
      );
    statement(db, `UPDATE items SET updated_position = ? WHERE item_id = ?`).run(p.position, parsed.id);
    return;
  }
  switch (parsed.kind) {
    case 'item': {
      for (const personId of p.holders ?? [])
        statement(db, `INSERT OR IGNORE INTO custody_holders (person_id, item_id) VALUES (?, ?)`).run(
          personId,
          parsed.id,
        );
      const v = itemView(state as never);
      if (!v) return;
      const was = p.stored === undefined ? null : itemView(p.stored as never);
      // The item-by-person index (persons' access pages): rows only when the gates the reading rule reads change.
      writeItemAccess(db, v.itemId, was, v);
      // Most facts (readings, gate passages, sightings) change none of the columns the queries select by: then only
      // the view and the position are written, and no index is touched.
      if (
        was &&
        was.itemId === v.itemId &&
        was.status === v.status &&
        was.custodian === v.custodian &&
        was.placeId === v.placeId &&
        was.level === v.level &&
        was.declassifyOn === v.declassifyOn &&
        was.copyOf === v.copyOf &&
        was.title === v.title
      ) {
        statement(db, `UPDATE items SET view = ?, updated_position = ? WHERE item_id = ?`).run(
          JSON.stringify(v),
          p.position,
          v.itemId,
        );
        return;
      }
      statement(
        db,
        `INSERT INTO items (item_id, status, custodian, place_id, level, declassify_on, copy_of, title, view, updated_position)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (item_id) DO UPDATE SET status = excluded.status, custodian = excluded.custodian,
          place_id = excluded.place_id, level = excluded.level, declassify_on = excluded.declassify_on,
          copy_of = excluded.copy_of, title = excluded.title, view = excluded.view,
          updated_position = excluded.updated_position`,
      ).run(
        v.itemId,
        v.status,
        v.custodian,
        v.placeId,
        v.level,
        v.declassifyOn,
        v.copyOf,
        v.title,
        JSON.stringify(v),
        p.position,
      );
      return;
    }
    case 'person': {
      const v = personView(state as never);
      if (v)
        statement(
          db,
          `INSERT INTO persons (person_id, view) VALUES (?, ?) ON CONFLICT (person_id) DO UPDATE SET view = excluded.view`,
        ).run(v.personId, JSON.stringify(v));
      return;
    }
    case 'place': {
      const v = placeView(state as never);
      if (v)
        statement(
          db,
          `INSERT INTO places (place_id, view) VALUES (?, ?) ON CONFLICT (place_id) DO UPDATE SET view = excluded.view`,
        ).run(v.placeId, JSON.stringify(v));
      return;
    }
    case 'incident': {
      const v = incidentView(state as never);
      if (!v) return;
      // An incident keeps the position it was first seen at (`opened_position` is not updated).
      statement(
        db,
        `INSERT INTO incidents (incident_id, status, kind, discovered_at, report_due_at, reported_at, closed_at, view,
          opened_position, report_due_ms, reported_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (incident_id) DO UPDATE SET status = excluded.status, kind = excluded.kind,
          discovered_at = excluded.discovered_at, report_due_at = excluded.report_due_at,
          reported_at = excluded.reported_at, closed_at = excluded.closed_at, view = excluded.view,
          report_due_ms = excluded.report_due_ms, reported_ms = excluded.reported_ms`,
      ).run(
        v.incidentId,
        v.status,
        v.kind,
        v.discoveredAt,
        v.reportDueAt,
        v.reportedAt,
        v.closedAt,
        JSON.stringify(v),
        p.viewSince ?? p.position,
        // Instants as milliseconds, so "overdue at now" is a comparison in SQL (isReportOverdue's, on numbers). The
        // deadline ends with the report, or with a merge into another incident (contract §5.1 3).
        Date.parse(v.reportDueAt),
        (v.reportedAt ?? v.mergedAt ?? null) === null ? null : Date.parse((v.reportedAt ?? v.mergedAt)!),
      );
      for (const itemId of v.itemIds)
        statement(db, `INSERT OR IGNORE INTO incident_items (incident_id, item_id) VALUES (?, ?)`).run(
          v.incidentId,
          itemId,
        );
      return;
    }
    case 'inventory':
      return;
  }
};

/** The stored state of a stream (from the cache when it is at the stored revision), or undefined without a row. */
const loaded = (
  db: Db,
  streamId: string,
): { revision: number; state: unknown; viewSince: undefined; stored: unknown; storedText: string } | undefined => {
  const row = storedRow(db, streamId);
  if (row === undefined) return undefined;
  const state = stateAt(db, streamId, row.revision, row.state);
  return { revision: row.revision, state, viewSince: undefined, stored: state, storedText: row.state };
};

/**
 * Folds every domain stream with the domain's own `evolve` (one copy of the rules) and keeps a flat row per item,
 * person, place and incident for queries. Idempotent by stream revision. In a batch (`session`) each stream's state
 * is kept in memory from event to event and its rows are written once, at the end of the batch.
 */
export const streamStateProjection: Projection = {
  name: 'stream-state-v1',
  apply(db: Db, event: RecordedEvent) {
    const parsed = parseStream(event.streamId);
    if (!parsed) return;
    const next = fold(event, parsed, loaded(db, event.streamId));
    if (next) write(db, event.streamId, next);
  },
  session(db: Db) {
    const pending = new Map<string, Pending>();
    return {
      apply(event: RecordedEvent) {
        const parsed = parseStream(event.streamId);
        if (!parsed) return;
        const before = pending.get(event.streamId) ?? loaded(db, event.streamId);
        const next = fold(event, parsed, before);
        if (next) pending.set(event.streamId, next);
      },
      end() {
        // In key order: the rows of a large batch (a rebuild page touches most streams) then land on the tables' and
        // indexes' pages one after the other instead of all over them.
        const ids = [...pending.keys()];
        if (ids.length > 64) ids.sort();
        for (const streamId of ids) write(db, streamId, pending.get(streamId)!);
        pending.clear();
      },
      size: () => pending.size,
    };
  },
};
