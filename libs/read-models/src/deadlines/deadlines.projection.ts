import { statement } from '../db/statements';
import type { RecordedEvent } from '@app/ledger';
import { deadlineChanges, type Deadline } from '@app/custody';
import type { Db } from '../db/read-model-db';
import type { Projection } from '../runner/projection';

const changesOf = (event: RecordedEvent) =>
  deadlineChanges({
    streamId: event.streamId,
    revision: event.revision,
    type: event.type,
    data: event.data,
    occurredAt: event.metadata.occurredAt,
  });

const put = (db: Db, d: Deadline): void => {
  // Updated in place (a replace would move the row to a new rowid and rewrite the key's index entry too).
  statement(
    db,
    `INSERT INTO deadlines (key, kind, stream_id, due_at, deadline) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, stream_id = excluded.stream_id, due_at = excluded.due_at,
      deadline = excluded.deadline`,
  ).run(d.key, d.kind, d.streamId, new Date(d.dueAt).toISOString(), JSON.stringify(d));
};

const drop = (db: Db, key: string): void => {
  statement(db, `DELETE FROM deadlines WHERE key = ?`).run(key);
};

/**
 * The pending deadlines, derived from the store (never held only in memory), so they survive restarts and fire for
 * time that passed while the service was down. Setting an existing key replaces its due instant.
 */
export const deadlinesProjection: Projection = {
  name: 'deadlines-v1',
  apply(db: Db, event: RecordedEvent) {
    const { set, clear } = changesOf(event);
    for (const key of clear) drop(db, key);
    for (const d of set) put(db, d);
  },
  // In a batch only each key's last change is written: a key cleared and set again ends set, and the reverse.
  session(db: Db) {
    const last = new Map<string, Deadline | null>();
    return {
      apply(event: RecordedEvent) {
        const { set, clear } = changesOf(event);
        for (const key of clear) last.set(key, null);
        for (const d of set) last.set(d.key, d);
      },
      end() {
        for (const [key, d] of last)
          if (d) put(db, d);
          else drop(db, key);
        last.clear();
      },
      size: () => last.size,
    };
  },
};
