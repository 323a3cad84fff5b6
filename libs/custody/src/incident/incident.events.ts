import type { DomainEvent, IncidentKind } from '../shared/command';
import type { ViolationDetected, ViolationResolved } from '../shared/violation';

/** What opened or joined an incident: a violation on an item, a loss, or a responder's own report (code `OpenIncident`). */
export type IncidentCauseData = {
  code: string;
  itemId: string | null;
  violationId: string | null;
  personId: string | null;
  at: string;
};

export type IncidentOpened = DomainEvent<
  'IncidentOpened',
  {
    incidentId: string;
    kind: IncidentKind;
    itemIds: string[];
    /** When the ledger learned of it (contract §5.1 1): the deadlines count from here. */
    discoveredAt: string;
    discoveredBy: string | null;
    /** The earliest instant among its causes (when it happened); absent on events recorded before v2. */
    occurredAt?: string;
    description: string;
    causes: IncidentCauseData[];
    at: string;
  }
>;
/**
 * 一事一报: a later cause on an item with an unreported incident joins it; `kind` is the incident's kind after it.
 * `mergedFrom` names the incident it came from when a responder merged two incidents into one (MergeIncident).
 */
export type IncidentCauseAdded = DomainEvent<
  'IncidentCauseAdded',
  IncidentCauseData & {
    incidentId: string;
    kind: IncidentKind;
    previousKind: IncidentKind;
    mergedFrom?: string;
  }
>;
/**
 * contract §5.1 3: a responder found two incidents are one event. On the merged incident's stream: its causes went to
 * `into` and its own deadlines end.
 */
export type IncidentMerged = DomainEvent<
  'IncidentMerged',
  { incidentId: string; into: string; by: string; at: string }
>;
export type RemedialActionRecorded = DomainEvent<
  'RemedialActionRecorded',
  { incidentId: string; action: string; by: string; at: string }
>;
export type IncidentReported = DomainEvent<
  'IncidentReported',
  {
    incidentId: string;
    to: string;
    content: string;
    discovery: string;
    responsible: string;
    course: string;
    harm: string;
    investigation: string;
    remedialMeasures: string;
    by: string;
    at: string;
    dueAt: string;
    late: boolean;
  }
>;
export type InvestigationConcluded = DomainEvent<
  'InvestigationConcluded',
  {
    incidentId: string;
    finding: string;
    responsible: string[];
    by: string;
    at: string;
    dueAt: string;
    late: boolean;
  }
>;
export type IncidentClosed = DomainEvent<
  'IncidentClosed',
  { incidentId: string; note: string | null; by: string; at: string }
>;

/** Everything an `incident-<id>` stream can hold (LEAK_REPORT_LATE / INVESTIGATION_REPORT_LATE violations live here). */
export type IncidentEvent =
  | IncidentOpened
  | IncidentCauseAdded
  | IncidentMerged
  | RemedialActionRecorded
  | IncidentReported
  | InvestigationConcluded
  | IncidentClosed
  | ViolationDetected
  | ViolationResolved;
