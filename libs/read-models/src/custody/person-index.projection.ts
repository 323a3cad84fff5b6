import type { RecordedEvent } from '@app/ledger';
import { levelRank, parseStream, type Clearance, type Rank } from '@app/custody';
import type { Db } from '../db/read-model-db';
import { statement } from '../db/statements';
import type { Projection } from '../runner/projection';

export const PERSON_INDEX_SCHEMA = `
CREATE TABLE IF NOT EXISTS person_events (
  person_id TEXT NOT NULL, position INTEGER NOT NULL, revision INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,
  occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL, PRIMARY KEY (person_id, position)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS person_ranks (rank TEXT NOT NULL, person_id TEXT NOT NULL, PRIMARY KEY (rank, person_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS person_levels (person_id TEXT PRIMARY KEY, max_level INTEGER NOT NULL) WITHOUT ROWID;
`;

/**
 * What "who might read this item at an instant" needs without reading and folding every person stream:
 * - `person_events`: each person stream's events (a copy beside the read models, read in one query for the few
 *   persons that matter, then folded with the domain's own evolve exactly as the store's stream would be);
 * - `person_ranks` / `person_levels`: every rank a person was ever registered with and the highest clearance they
 *   ever held. A person's state at any instant, folded in any order, takes its rank and clearance from these events,
 *   so "some rank admitted and highest clearance ≥ the level" is a superset of who may read at any instant; the
 *   reading-scope rule (`mayRead`) still decides on the folded state. Idempotent: keys and MAX.
 */
export const personIndexProjection: Projection = {
  name: 'person-index-v1',
  apply(db: Db, event: RecordedEvent) {
    const parsed = parseStream(event.streamId);
    if (parsed?.kind !== 'person') return;
    statement(
      db,
      `INSERT OR IGNORE INTO person_events (person_id, position, revision, type, data, occurred_at, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      parsed.id,
      event.position,
      event.revision,
      event.type,
      JSON.stringify(event.data),
      event.metadata.occurredAt,
      event.metadata.recordedAt,
    );
    const d = event.data as { rank?: Rank; clearance?: Clearance };
    if (event.type === 'PersonRegistered' && typeof d.rank === 'string')
      statement(db, `INSERT OR IGNORE INTO person_ranks (rank, person_id) VALUES (?, ?)`).run(d.rank, parsed.id);
    if ((event.type === 'PersonRegistered' || event.type === 'ClearanceChanged') && typeof d.clearance === 'string')
      statement(
        db,
        `INSERT INTO person_levels (person_id, max_level) VALUES (?, ?)
         ON CONFLICT (person_id) DO UPDATE SET max_level = MAX(max_level, excluded.max_level)`,
      ).run(parsed.id, levelRank(d.clearance));
  },
};
