import { statement } from '../db/statements';
import type { RecordedEvent, CommandOutcome } from '@app/ledger';
import type { Db } from '../db/read-model-db';
import type { Projection } from '../runner/projection';

/** Which events each command id produced: lets a retried command id return its first result (contract §8). */
export const commandLogProjection: Projection = {
  name: 'command-log-v1',
  apply(db: Db, event: RecordedEvent) {
    const commandId = event.metadata.commandId;
    if (typeof commandId !== 'string') return;
    statement(
      db,
      `INSERT OR IGNORE INTO command_events (command_id, position, event_id, type, stream_id, revision, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      commandId,
      event.position,
      event.eventId,
      event.type,
      event.streamId,
      event.revision,
      JSON.stringify(event.data),
    );
  },
};

export const findCommand = (db: Db, commandId: string): Omit<CommandOutcome, 'duplicate'> | null => {
  const rows = statement(db, `SELECT * FROM command_events WHERE command_id = ? ORDER BY position`).all(commandId) as {
    event_id: string;
    type: string;
    stream_id: string;
    revision: number;
    position: number;
    data: string;
  }[];
  if (rows.length === 0) return null;
  return {
    commandId,
    events: rows.map((r) => ({
      eventId: r.event_id,
      type: r.type,
      streamId: r.stream_id,
      revision: r.revision,
      position: r.position,
      data: JSON.parse(r.data) as unknown,
    })),
  };
};
