import { statement } from '../db/statements';
import type { RecordedEvent } from '@app/ledger';
import { evolveStream, initialStateOf, parseStream, itemView, personView, placeView, incidentView } from '@app/custody';
import type { Db } from '../db/read-model-db';
import type { Projection } from '../runner/projection';

/**
 * Parsed states of recently written streams, per connection, each with the revision it was folded to. A state is
 * used only when the stored row is at that very revision, so a batch that rolled back (the row still at an older
 * revision) or a cleared table (no row) is never answered from here; otherwise the state is parsed from its row.
 */
const recent = new WeakMap<Db, Map<string, { revision: number; state: unknown }>>();
const RECENT_MAX = 20_000;

const stateAt = (db: Db, streamId: string, revision: number): unknown => {
  const hit = recent.get(db)?.get(streamId);
  if (hit && hit.revision === revision) return hit.state;
  const row = statement(db, `SELECT state FROM stream_states WHERE stream_id = ?`).get(streamId) as { state: string };
  return JSON.parse(row.state);
};

const remember = (db: Db, streamId: string, revision: number, state: unknown): void => {
  let m = recent.get(db);
  if (!m) recent.set(db, (m = new Map<string, { revision: number; state: unknown }>()));
  m.delete(streamId);
  m.set(streamId, { revision, state });
  if (m.size > RECENT_MAX) m.delete(m.keys().next().value as string);
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
}

/** The stream's revision as stored, or undefined for a stream with no row yet. */
const storedRevision = (db: Db, streamId: string): number | undefined =>
  (
    statement(db, `SELECT revision FROM stream_states WHERE stream_id = ?`).get(streamId) as
      { revision: number } | undefined
  )?.revision;

/** Folds `event` onto `before`; undefined when the event is not newer than what `before` was folded to. */
const fold = (
  event: RecordedEvent,
  parsed: Parsed,
  before: { revision: number; state: unknown; viewSince: number | undefined; holders?: string[] } | undefined,
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
  return { parsed, revision: event.revision, state, position: event.position, viewSince, holders };
};

/**
 * Writes a stream's state row and its flat view row. Called once per event (`apply`) or once per stream per batch
 * (`session`): the rows come out the same, since they depend only on the last state, the last position and (for an
 * incident) the position it first had a view at. A view never goes back to null once a stream has one (the states
 * only ever leave `none`), so writing the last non-null view is writing every one of them in turn.
 */
const write = (db: Db, streamId: string, p: Pending): void => {
  const { parsed, state } = p;
  remember(db, streamId, p.revision, state);
  statement(db, `INSERT OR REPLACE INTO stream_states (stream_id, kind, revision, state) VALUES (?, ?, ?, ?)`).run(
    streamId,
    parsed.kind,
    p.revision,
    JSON.stringify(state),
  );
  switch (parsed.kind) {
    case 'item': {
      for (const personId of p.holders ?? [])
        statement(db, `INSERT OR IGNORE INTO custody_holders (person_id, item_id) VALUES (?, ?)`).run(
          personId,
          parsed.id,
        );
      const v = itemView(state as never);
      if (!v) return;
      statement(
        db,
        `INSERT OR REPLACE INTO items (item_id, status, custodian, place_id, level, declassify_on, copy_of, title, view, updated_position)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
        statement(db, `INSERT OR REPLACE INTO persons (person_id, view) VALUES (?, ?)`).run(
          v.personId,
          JSON.stringify(v),
        );
      return;
    }
    case 'place': {
      const v = placeView(state as never);
      if (v)
        statement(db, `INSERT OR REPLACE INTO places (place_id, view) VALUES (?, ?)`).run(v.placeId, JSON.stringify(v));
      return;
    }
    case 'incident': {
      const v = incidentView(state as never);
      if (!v) return;
      const existing = statement(db, `SELECT opened_position FROM incidents WHERE incident_id = ?`).get(
        v.incidentId,
      ) as { opened_position: number } | undefined;
      statement(
        db,
        `INSERT OR REPLACE INTO incidents (incident_id, status, kind, discovered_at, report_due_at, reported_at, closed_at, view,
          opened_position, report_due_ms, reported_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        v.incidentId,
        v.status,
        v.kind,
        v.discoveredAt,
        v.reportDueAt,
        v.reportedAt,
        v.closedAt,
        JSON.stringify(v),
        existing?.opened_position ?? p.viewSince ?? p.position,
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
const loaded = (db: Db, streamId: string): { revision: number; state: unknown; viewSince: undefined } | undefined => {
  const revision = storedRevision(db, streamId);
  return revision === undefined
    ? undefined
    : { revision, state: stateAt(db, streamId, revision), viewSince: undefined };
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
        for (const [streamId, p] of pending) write(db, streamId, p);
        pending.clear();
      },
    };
  },
};
