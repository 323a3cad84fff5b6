import type { DomainEvent } from '../shared/command';
import { incidentStreamModule, incidentView, isReportOverdue } from '.';
import { addMonths } from '../shared/calendar';
import { concluded, D0, DUE, flagged, incidentOpened, INVESTIGATION_DUE, report, reported } from './incident.fixtures';

const fold = (...events: DomainEvent[]) =>
  events.reduce((s, e) => incidentStreamModule.evolve(s, e), incidentStreamModule.initialState());

const lossJoined = {
  type: 'IncidentCauseAdded',
  data: {
    incidentId: 'inc-1',
    code: 'ItemLost',
    itemId: 'doc-1',
    violationId: null,
    personId: 'p-zhang',
    at: '2026-03-02T14:00:00.000Z',
    kind: 'loss',
    previousKind: 'suspected-leak',
  },
};

describe('an incident stream with nothing in it', () => {
  it('has no view', () => expect(incidentView(fold())).toBeNull());
});

describe('an incident opened at 11:00 on a carry-out, joined by a loss at 14:00', () => {
  const state = fold(incidentOpened().event, lossJoined, {
    type: 'RemedialActionRecorded',
    data: { incidentId: 'inc-1', action: 'search organised', by: 'p-dir', at: '2026-03-02T15:00:00.000Z' },
  });

  it('shows one incident of the graver kind, both causes, and deadlines from the first discovery', () =>
    expect(incidentView(state)).toEqual({
      incidentId: 'inc-1',
      kind: 'loss',
      itemIds: ['doc-1'],
      discoveredAt: D0,
      discoveredBy: 'p-zhang',
      occurredAt: D0,
      description: 'CARRY_OUT_UNAPPROVED on doc-1',
      reportDueAt: DUE,
      investigationDueAt: INVESTIGATION_DUE,
      reportedAt: null,
      report: null,
      concludedAt: null,
      closedAt: null,
      mergedInto: null,
      mergedAt: null,
      status: 'open',
      causes: [
        { code: 'CARRY_OUT_UNAPPROVED', itemId: 'doc-1', violationId: 'c1:CARRY_OUT_UNAPPROVED:doc-1', at: D0 },
        { code: 'ItemLost', itemId: 'doc-1', violationId: null, at: '2026-03-02T14:00:00.000Z' },
      ],
      remedialActions: [{ action: 'search organised', by: 'p-dir', at: '2026-03-02T15:00:00.000Z' }],
    }));

  it('is not overdue before the deadline, and is overdue after it while unreported', () => {
    const view = incidentView(state)!;
    expect(isReportOverdue(view, '2026-03-03T10:59:59Z')).toBe(false);
    expect(isReportOverdue(view, '2026-03-03T11:30:00Z')).toBe(true);
  });
});

describe('an incident reported late, concluded and closed', () => {
  const state = fold(
    incidentOpened().event,
    flagged('LEAK_REPORT_LATE').event,
    reported('2026-03-03T12:00:00.000Z').event,
    concluded('2026-04-01T00:00:00.000Z').event,
    { type: 'IncidentClosed', data: { incidentId: 'inc-1', note: null, by: 'p-dir', at: '2026-04-02T00:00:00.000Z' } },
  );

  it('keeps the report, the status closed, and stays overdue (contract §6)', () => {
    const view = incidentView(state)!;
    expect(view).toMatchObject({
      status: 'closed',
      reportedAt: '2026-03-03T12:00:00.000Z',
      concludedAt: '2026-04-01T00:00:00.000Z',
      closedAt: '2026-04-02T00:00:00.000Z',
      report: { ...report, by: 'p-dir' },
    });
    expect(isReportOverdue(view, '2026-05-01T00:00:00Z')).toBe(true);
  });

  it('remembers the flag in its violation log', () =>
    expect(state.violations).toEqual({ 'inc-1:LEAK_REPORT_LATE': 'open' }));
});

describe('an incident reported in time', () => {
  it('is reported and never overdue', () => {
    const view = incidentView(fold(incidentOpened().event, reported('2026-03-02T20:00:00.000Z').event))!;
    expect(view.status).toBe('reported');
    expect(isReportOverdue(view, '2026-05-01T00:00:00Z')).toBe(false);
  });
});

describe('calendar arithmetic in UTC', () => {
  it('adds 3 months and clamps to the end of a shorter month', () => {
    expect(addMonths('2026-03-02T11:00:00Z', 3)).toBe('2026-06-02T11:00:00.000Z');
    expect(addMonths('2025-11-30T08:00:00Z', 3)).toBe('2026-02-28T08:00:00.000Z');
    expect(addMonths('2026-12-15T00:00:00Z', 3)).toBe('2027-03-15T00:00:00.000Z');
  });
});

// contract §5.1 1: the incident keeps when it happened — the earliest instant among its causes — beside its discovery.
describe('an incident discovered at 11:00, joined by a cause that happened at 08:00 (entered late)', () => {
  const state = fold(incidentOpened().event, {
    ...lossJoined,
    data: { ...lossJoined.data, at: '2026-03-02T08:00:00.000Z' },
  });

  it('occurred at 08:00 and is still due 24 hours after its discovery', () =>
    expect(incidentView(state)).toMatchObject({
      occurredAt: '2026-03-02T08:00:00.000Z',
      discoveredAt: D0,
      reportDueAt: DUE,
    }));
});

// contract §5.1 3: a merged incident's own deadlines end with the merge.
describe('an incident merged into another before its deadline', () => {
  const state = fold(incidentOpened().event, {
    type: 'IncidentMerged',
    data: { incidentId: 'inc-1', into: 'inc-0', by: 'p-dir', at: '2026-03-02T12:00:00.000Z' },
  });

  it('is merged, and never overdue', () => {
    const view = incidentView(state)!;
    expect(view).toMatchObject({ status: 'merged', mergedInto: 'inc-0', mergedAt: '2026-03-02T12:00:00.000Z' });
    expect(isReportOverdue(view, '2026-03-10T00:00:00Z')).toBe(false);
  });
});
