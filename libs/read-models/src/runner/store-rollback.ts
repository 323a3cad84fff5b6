/**
 * No silent rollback (contract §4.1): the read models remember the last event they applied — its position and its
 * hash — in the same transaction as their checkpoint. A store whose head is below that position, or whose event at
 * that place has another hash (or sits at another position), is not the store they were fed from: it was cut back
 * (a restored backup, a deleted tail) or rewritten. The read models are then the only witness inside the data
 * directory that the store was longer, so they are kept as they are and the service refuses to build on it.
 */
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import type { EventStore, RecordedEvent } from '@app/ledger';
import { hasTable, statement } from '../db/statements';
import type { Db } from '../db/read-model-db';

/** The last event the read models applied. */
export interface AppliedHead {
  position: number;
  eventId: string;
  streamId: string;
  revision: number;
  hash: string;
}

export interface StoreRollback {
  /** `shorter`: the store's head is below the applied position; `rewritten`: the applied event is not there as it was. */
  reason: 'shorter' | 'rewritten';
  /** What the read models applied last. */
  applied: AppliedHead;
  /** The store's head position now (null: the store is empty). */
  storeHead: number | null;
  /** For `rewritten`: what the store holds at the applied event's stream and revision now (null: nothing). */
  storeEvent?: { eventId: string; position: number; hash: string } | null;
  detail: string;
}

const NAME = 'read-models';

interface Row {
  position: number;
  event_id: string;
  stream_id: string;
  revision: number;
  hash: string;
}

const fromRow = (r: Row | undefined): AppliedHead | null =>
  r ? { position: r.position, eventId: r.event_id, streamId: r.stream_id, revision: r.revision, hash: r.hash } : null;

/** The remembered head of an open read-model database (null: nothing applied yet, or a file from before it). */
export const readAppliedHead = (db: Db): AppliedHead | null =>
  fromRow(statement(db, `SELECT * FROM applied_head WHERE name = ?`).get(NAME) as Row | undefined);

/** The event's chain hash as stored in its metadata ('' when it carries none). */
const hashOf = (event: RecordedEvent): string => {
  const hash = (event.metadata as { hash?: unknown } | null)?.hash;
  return typeof hash === 'string' ? hash : '';
};

/** Remembers `event` as the last applied; call inside the transaction that commits the checkpoint. */
export const writeAppliedHead = (db: Db, event: RecordedEvent): AppliedHead => {
  const head = {
    position: event.position,
    eventId: event.eventId,
    streamId: event.streamId,
    revision: event.revision,
    hash: hashOf(event),
  };
  statement(
    db,
    `INSERT INTO applied_head (name, position, event_id, stream_id, revision, hash) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET position = excluded.position, event_id = excluded.event_id,
      stream_id = excluded.stream_id, revision = excluded.revision, hash = excluded.hash`,
  ).run(NAME, head.position, head.eventId, head.streamId, head.revision, head.hash);
  return head;
};

/**
 * The remembered head of a read-model file, opened read-only and left untouched (for `verify`, which must not
 * change the data directory it audits). Null when there is no file or it remembers nothing.
 */
export const readAppliedHeadFromFile = (file: string): AppliedHead | null => {
  if (!fs.existsSync(file)) return null;
  let db: Db | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    if (!hasTable(db, 'applied_head')) return null;
    return fromRow(db.prepare(`SELECT * FROM applied_head WHERE name = ?`).get(NAME) as Row | undefined);
  } catch {
    // A damaged file remembers nothing reliable; the service rebuilds it (and verify still checks the store itself).
    return null;
  } finally {
    db?.close();
  }
};

/** Compares the store with what the read models applied; null when the store still holds it as it was. */
export const detectStoreRollback = async (
  store: Pick<EventStore, 'headPosition' | 'readStream'>,
  applied: AppliedHead,
): Promise<StoreRollback | null> => {
  const head = (await store.headPosition()) ?? null;
  if (head === null || head < applied.position) {
    return {
      reason: 'shorter',
      applied,
      storeHead: head,
      detail: `the read models applied the store up to position ${applied.position} (event ${applied.eventId}, hash ${applied.hash}); the store's head is now ${head === null ? 'empty' : `position ${head}`}`,
    };
  }
  const [event] = await store.readStream(applied.streamId, { fromRevision: applied.revision, maxCount: 1 });
  const hash = event ? hashOf(event) : null;
  if (event && event.revision === applied.revision && event.position === applied.position && hash === applied.hash)
    return null;
  const storeEvent = event && hash !== null ? { eventId: event.eventId, position: event.position, hash } : null;
  return {
    reason: 'rewritten',
    applied,
    storeHead: head,
    storeEvent,
    detail: storeEvent
      ? `the read models applied ${applied.streamId}#${applied.revision} at position ${applied.position} with hash ${applied.hash}; the store now has it at position ${storeEvent.position} with hash ${storeEvent.hash}`
      : `the read models applied ${applied.streamId}#${applied.revision} at position ${applied.position} with hash ${applied.hash}; the store no longer has it (head at position ${head})`,
  };
};
