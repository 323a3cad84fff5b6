/** Small fixture factories for incident specs (test-only; not exported from the folder's index). */
import type { DomainEvent } from '../shared/command';
import { T0 } from '../testing/custody-spec';

export const D0 = '2026-03-02T11:00:00.000Z';
export const DUE = '2026-03-03T11:00:00.000Z';
export const INVESTIGATION_DUE = '2026-06-02T11:00:00.000Z';

export const at = (streamId: string, event: DomainEvent) => ({ streamId, event });

export const incidentOpened = (over: Record<string, unknown> = {}) =>
  at('incident-inc-1', {
    type: 'IncidentOpened',
    data: {
      incidentId: 'inc-1',
      kind: 'suspected-leak',
      itemIds: ['doc-1'],
      discoveredAt: D0,
      discoveredBy: 'p-zhang',
      description: 'CARRY_OUT_UNAPPROVED on doc-1',
      causes: [
        {
          code: 'CARRY_OUT_UNAPPROVED',
          itemId: 'doc-1',
          violationId: 'c1:CARRY_OUT_UNAPPROVED:doc-1',
          personId: 'p-zhang',
          at: D0,
        },
      ],
      at: D0,
      ...over,
    },
  });

export const report = {
  to: 'municipal secrecy bureau',
  content: 'one paper document',
  discovery: 'custody ledger',
  responsible: 'p-zhang',
  course: 'timeline',
  harm: 'possible exposure',
  investigation: 'under way',
  remedialMeasures: 'search organised',
};

export const reported = (when: string) =>
  at('incident-inc-1', {
    type: 'IncidentReported',
    data: { incidentId: 'inc-1', ...report, by: 'p-dir', at: when, dueAt: DUE, late: when > DUE },
  });

export const flagged = (code: 'LEAK_REPORT_LATE' | 'INVESTIGATION_REPORT_LATE') =>
  at('incident-inc-1', {
    type: 'ViolationDetected',
    data: {
      violationId: `inc-1:${code}`,
      code,
      severity: code === 'LEAK_REPORT_LATE' ? 'critical' : 'medium',
      itemId: 'doc-1',
      personId: null,
      source: 'test',
      detail: 'late',
      at: code === 'LEAK_REPORT_LATE' ? DUE : INVESTIGATION_DUE,
    },
  });

export const concluded = (when: string) =>
  at('incident-inc-1', {
    type: 'InvestigationConcluded',
    data: {
      incidentId: 'inc-1',
      finding: 'lost in a restaurant',
      responsible: ['p-zhang'],
      by: 'p-dir',
      at: when,
      dueAt: INVESTIGATION_DUE,
      late: false,
    },
  });

export const itemReceived = (itemId: string) =>
  at(`item-${itemId}`, {
    type: 'ItemReceived',
    data: {
      itemId,
      title: itemId,
      level: 'SECRET',
      periodYears: 10,
      basis: 'catalogue 2.1',
      carrier: 'paper',
      sender: 'superior office',
      receivedBy: 'p-zhang',
      scope: { persons: [] },
      copyNo: null,
      copyAllowed: true,
      issuedAt: T0,
      declassifyOn: '2036-03-02T09:00:00.000Z',
      at: T0,
    },
  });

export const personRegistered = (personId: string) =>
  at(`person-${personId}`, {
    type: 'PersonRegistered',
    data: {
      personId,
      name: personId,
      rank: 'director',
      clearance: 'SECRET',
      unit: 'office',
      probationUntil: null,
      at: T0,
    },
  });

export const deadline = (kind: 'LEAK_REPORT_LATE' | 'INVESTIGATION_REPORT_LATE', dueAt: string) => ({
  deadline: {
    key: `${kind}:incident-inc-1`,
    kind,
    streamId: 'incident-inc-1',
    dueAt,
    incidentId: 'inc-1',
    itemId: 'doc-1',
  },
});
