import type { IncidentKind } from '../shared/command';
import type { IncidentView } from '../shared/views';
import { INCIDENT_KINDS } from '../shared/vocabulary';
import { addHours, addMonths, isAfter } from '../shared/calendar';
import type { IncidentEvent } from './incident.events';
import { withViolationLog, type ViolationLog } from '../violation/violation-log';

export type IncidentRecord = IncidentView & { investigation: { finding: string; responsible: string[] } | null };

export type IncidentState =
  | { status: 'none'; violations: ViolationLog }
  | { status: 'recorded'; incident: IncidentRecord; violations: ViolationLog };

export const initialIncidentState = (): IncidentState => ({ status: 'none', violations: {} });

/** TL2024 实施条例 第61条; 004_d1fc20a45ee67265.txt 一事一报, 24小时内上报: the written report is due 24 h after discovery. */
export const reportDueAt = (discoveredAt: string): string => addHours(discoveredAt, 24);
/** BG99 报告泄露国家秘密事件的规定 第5条: the written result of the investigation is due 3 months after discovery. */
export const investigationDueAt = (discoveredAt: string): string => addMonths(discoveredAt, 3);

/** suspected-leak < loss < leak: a joined cause can only make an incident graver (contract §5 Leak). */
export const graver = (a: IncidentKind, b: IncidentKind): IncidentKind =>
  INCIDENT_KINDS.indexOf(a) >= INCIDENT_KINDS.indexOf(b) ? a : b;

const statusOf = (i: IncidentRecord): IncidentView['status'] =>
  i.closedAt ? 'closed' : i.mergedInto ? 'merged' : i.concludedAt ? 'concluded' : i.reportedAt ? 'reported' : 'open';

const earlier = (a: string, b: string): string => (isAfter(a, b) ? b : a);

const withStatus = (i: IncidentRecord): IncidentRecord => ({ ...i, status: statusOf(i) });

export const evolveIncident = withViolationLog<IncidentState, IncidentEvent>((state, event) => {
  switch (event.type) {
    case 'IncidentOpened': {
      const d = event.data;
      return {
        status: 'recorded',
        violations: state.violations,
        incident: withStatus({
          incidentId: d.incidentId,
          kind: d.kind,
          itemIds: [...d.itemIds],
          discoveredAt: d.discoveredAt,
          discoveredBy: d.discoveredBy,
          // Events recorded before v2 carry no occurredAt: their causes' earliest instant, else the discovery.
          occurredAt: d.occurredAt ?? d.causes.map((c) => c.at).reduce(earlier, d.discoveredAt),
          description: d.description,
          reportDueAt: reportDueAt(d.discoveredAt),
          investigationDueAt: investigationDueAt(d.discoveredAt),
          reportedAt: null,
          report: null,
          concludedAt: null,
          closedAt: null,
          mergedInto: null,
          mergedAt: null,
          status: 'open',
          causes: d.causes.map((c) => ({ code: c.code, itemId: c.itemId, violationId: c.violationId, at: c.at })),
          remedialActions: [],
          investigation: null,
        }),
      };
    }
    case 'IncidentCauseAdded': {
      if (state.status === 'none') return state;
      const d = event.data;
      const i = state.incident;
      const itemIds = d.itemId && !i.itemIds.includes(d.itemId) ? [...i.itemIds, d.itemId] : i.itemIds;
      return {
        ...state,
        incident: {
          ...i,
          kind: d.kind,
          itemIds,
          occurredAt: earlier(i.occurredAt, d.at),
          causes: [...i.causes, { code: d.code, itemId: d.itemId, violationId: d.violationId, at: d.at }],
        },
      };
    }
    case 'IncidentMerged':
      // contract §5.1 3: its causes live on in `into`; it is no longer joined, reported or due.
      return state.status === 'none'
        ? state
        : {
            ...state,
            incident: withStatus({ ...state.incident, mergedInto: event.data.into, mergedAt: event.data.at }),
          };
    case 'RemedialActionRecorded': {
      if (state.status === 'none') return state;
      const { action, at, by } = event.data;
      return {
        ...state,
        incident: { ...state.incident, remedialActions: [...state.incident.remedialActions, { action, at, by }] },
      };
    }
    case 'IncidentReported': {
      if (state.status === 'none') return state;
      const { incidentId: _id, by: _by, dueAt: _due, late: _late, at, ...report } = event.data;
      return {
        ...state,
        incident: withStatus({ ...state.incident, reportedAt: at, report: { ...report, by: event.data.by } }),
      };
    }
    case 'InvestigationConcluded': {
      if (state.status === 'none') return state;
      const { at, finding, responsible } = event.data;
      return {
        ...state,
        incident: withStatus({
          ...state.incident,
          concludedAt: at,
          investigation: { finding, responsible: [...responsible] },
        }),
      };
    }
    case 'IncidentClosed':
      return state.status === 'none'
        ? state
        : { ...state, incident: withStatus({ ...state.incident, closedAt: event.data.at }) };
    default: {
      // Unknown event types are ignored, never thrown on.
      const ignored: never = event;
      void ignored;
      return state;
    }
  }
});

/** The flat view of an incident (shared/views.ts), or null when the stream holds none. */
export const incidentView = (state: IncidentState): IncidentView | null => {
  if (state.status === 'none') return null;
  const { investigation: _investigation, ...view } = state.incident;
  return view;
};

/**
 * contract §6: `overdue` = the report was not in by the deadline, and it stays true after a late report. A merged
 * incident's deadline ended with the merge (contract §5.1 3): it is overdue only when the merge itself came late.
 * `now` is the read model's clock (the domain never reads one).
 */
export const isReportOverdue = (
  view: Pick<IncidentView, 'reportedAt' | 'reportDueAt'> & { mergedAt?: string | null },
  now: string,
): boolean => {
  const endedAt = view.reportedAt ?? view.mergedAt ?? null;
  return endedAt === null ? isAfter(now, view.reportDueAt) : isAfter(endedAt, view.reportDueAt);
};
