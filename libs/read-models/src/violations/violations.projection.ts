import { statement } from '../db/statements';
import type { RecordedEvent } from '@app/ledger';
import type { ViolationDetectedData, ViolationResolvedData } from '@app/custody';
import type { Db } from '../db/read-model-db';
import type { Projection } from '../runner/projection';

/** Open and resolved violations, whatever stream they were recorded in. Idempotent by violation id. */
export const violationsProjection: Projection = {
  name: 'violations-v1',
  apply(db: Db, event: RecordedEvent) {
    if (event.type === 'ViolationDetected') {
      const d = event.data as ViolationDetectedData;
      statement(
        db,
        `INSERT OR IGNORE INTO violations (violation_id, position, stream_id, event_id, code, severity, item_id, person_id, at,
        recorded_at, status, incident_id, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)`,
      ).run(
        d.violationId,
        event.position,
        event.streamId,
        event.eventId,
        d.code,
        d.severity,
        d.itemId ?? null,
        d.personId ?? null,
        d.at ?? event.metadata.occurredAt,
        event.metadata.recordedAt,
        d.incidentId ?? null,
        // Only what no column holds (the rule's source and the detail): the rest of the event's data is in the
        // columns already, and was most of the row (issue 16, disk per event).
        JSON.stringify({ source: d.source, detail: d.detail }),
      );
    } else if (event.type === 'ViolationResolved') {
      const d = event.data as ViolationResolvedData;
      statement(
        db,
        `UPDATE violations SET status = 'resolved', resolved_at = ?, resolved_by = ?, resolution_note = ? WHERE violation_id = ?`,
      ).run(d.at ?? event.metadata.occurredAt, d.resolvedBy ?? event.metadata.actor, d.note, d.violationId);
    }
  },
};
