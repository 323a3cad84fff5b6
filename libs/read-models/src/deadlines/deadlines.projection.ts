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

/** A deadline's row as the `deadlines` table reads: its columns and the text of what they do not hold. */
export interface DeadlineRow {
  key: string;
  kind: string;
  stream_id: string;
  due_at: string;
  deadline: string;
}

/**
 * The row of a deadline. `deadline` holds only what the columns do not (issue 16's disk: the whole deadline's JSON
 * repeated its key, kind, stream and due instant, ~110 of its ~170 bytes): `dueAt` only when it is not already the
 * column's ISO text.
 */
export const deadlineRow = (d: Deadline): DeadlineRow => {
  const { key, kind, streamId, dueAt, ...rest } = d;
  const due = new Date(dueAt).toISOString();
  return {
    key,
    kind,
    stream_id: streamId,
    due_at: due,
    deadline: JSON.stringify(dueAt === due ? rest : { dueAt, ...rest }),
  };
};

/**
 * The deadline of a row, the very object the domain made: its members in the domain's order (every deadline is
 * written key, kind, streamId, dueAt, then the rest) and its own `dueAt` text. A text that holds the whole deadline
 * (as read-model schemas before 11 wrote it) reads the same.
 */
export const deadlineOf = (row: DeadlineRow): Deadline => {
  const rest = JSON.parse(row.deadline) as Partial<Deadline>;
  return { key: row.key, kind: row.kind, streamId: row.stream_id, dueAt: row.due_at, ...rest } as Deadline;
};

const put = (db: Db, d: Deadline): void => {
  const row = deadlineRow(d);
  // Updated in place (a replace would move the row to a new rowid and rewrite the key's index entry too).
  statement(
    db,
    `INSERT INTO deadlines (key, kind, stream_id, due_at, deadline) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, stream_id = excluded.stream_id, due_at = excluded.due_at,
      deadline = excluded.deadline`,
  ).run(row.key, row.kind, row.stream_id, row.due_at, row.deadline);
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
