import { statement } from '../db/statements';
import type { RecordedEvent } from '@app/ledger';
import { deadlineChanges } from '@app/custody';
import type { Db } from '../db/read-model-db';
import type { Projection } from '../runner/projection';

/**
 * The pending deadlines, derived from the store (never held only in memory), so they survive restarts and fire for
 * time that passed while the service was down. Setting an existing key replaces its due instant.
 */
export const deadlinesProjection: Projection = {
  name: 'deadlines-v1',
  apply(db: Db, event: RecordedEvent) {
    const { set, clear } = deadlineChanges({
      streamId: event.streamId,
      revision: event.revision,
      type: event.type,
      data: event.data,
      occurredAt: event.metadata.occurredAt,
    });
    for (const key of clear) statement(db, `DELETE FROM deadlines WHERE key = ?`).run(key);
    for (const d of set) {
      statement(
        db,
        `INSERT OR REPLACE INTO deadlines (key, kind, stream_id, due_at, deadline) VALUES (?, ?, ?, ?, ?)`,
      ).run(d.key, d.kind, d.streamId, new Date(d.dueAt).toISOString(), JSON.stringify(d));
    }
  },
};
