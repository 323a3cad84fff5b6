import { createHash } from 'node:crypto';
import type { RecordedEvent } from '@app/ledger';
import { addHours, reportDueAt, type ViolationDetectedData } from '@app/custody';
import type { NotificationKind } from './webhook-config';

/** Hours before the report deadline the `report-due-soon` reminder goes out (issue 15: 4 hours before). */
export const DUE_SOON_HOURS = 4;

/** An incident as the notifier remembers it (its own small table, fed by the same events). */
export interface KnownIncident {
  incidentId: string;
  kind: string;
  itemIds: string[];
  discoveredAt: string;
  reportDueAt: string;
}

/** A notification to deliver: what it is about and when it may go out. */
export interface PlannedNotification {
  kind: NotificationKind;
  incidentId: string | null;
  /** Not before this instant (the reminder waits for its time; the rest go at once). */
  notBefore: string;
  facts: Record<string, unknown>;
}

/** The delivery id a receiver deduplicates on: the same hook, event and kind always give the same id. */
export const deliveryIdOf = (hook: string, eventId: string, kind: NotificationKind): string =>
  createHash('sha256').update(`${hook}\n${eventId}\n${kind}`).digest('hex').slice(0, 32);

/**
 * Which notifications an event calls for. Pure: the outbox runs it on every event of the store's subscription and
 * keeps what it returns, with its checkpoint, in one transaction.
 */
export const notificationsFor = (
  event: RecordedEvent,
  incidentOf: (incidentId: string) => KnownIncident | null,
): PlannedNotification[] => {
  const recordedAt = String(event.metadata.recordedAt);
  if (event.type === 'IncidentOpened') {
    const d = event.data as { incidentId: string; kind: string; itemIds: string[]; discoveredAt: string };
    const dueAt = reportDueAt(d.discoveredAt);
    const facts = {
      incidentId: d.incidentId,
      incidentKind: d.kind,
      itemIds: d.itemIds,
      discoveredAt: d.discoveredAt,
      reportDueAt: dueAt,
    };
    return [
      { kind: 'incident-opened', incidentId: d.incidentId, notBefore: recordedAt, facts },
      { kind: 'report-due-soon', incidentId: d.incidentId, notBefore: addHours(dueAt, -DUE_SOON_HOURS), facts },
    ];
  }
  if (event.type === 'ViolationDetected') {
    const v = event.data as ViolationDetectedData;
    const incidentId =
      v.incidentId ?? (event.streamId.startsWith('incident-') ? event.streamId.slice('incident-'.length) : null);
    const incident = incidentId ? incidentOf(incidentId) : null;
    const facts = {
      violationId: v.violationId,
      code: v.code,
      severity: v.severity,
      itemId: v.itemId,
      personId: v.personId,
      at: v.at,
      ...(incident
        ? {
            incidentId: incident.incidentId,
            incidentKind: incident.kind,
            itemIds: incident.itemIds,
            reportDueAt: incident.reportDueAt,
          }
        : { incidentId }),
    };
    const out: PlannedNotification[] = [];
    if (v.code === 'LEAK_REPORT_LATE') out.push({ kind: 'report-overdue', incidentId, notBefore: recordedAt, facts });
    if (v.severity === 'critical') out.push({ kind: 'violation-critical', incidentId, notBefore: recordedAt, facts });
    return out;
  }
  return [];
};
