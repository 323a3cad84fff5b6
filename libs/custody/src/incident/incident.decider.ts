import type { CustodyCommand } from '../commands';
import type { DecisionContext, Needs, StreamEvents } from '../shared/command';
import { refuse, InvalidCommand, UnknownReference } from '../shared/errors';
import { incidentStream, itemStream, personStream } from '../shared/streams';
import type { ViolationDetected, ViolationResolved } from '../shared/violation';
import { INCIDENT_KINDS } from '../shared/vocabulary';
import { resolution, violation } from '../rules/violations';
import { isAfter } from '../shared/calendar';
import type { IncidentEvent } from './incident.events';
import { graver, type IncidentRecord, type IncidentState } from './incident.state';
import { requireInstant, requireOneOf, requireStream, requireText, stateOf, writeTo } from './input';

export type IncidentCommand = Extract<
  CustodyCommand,
  {
    type:
      | 'OpenIncident'
      | 'RecordRemedialAction'
      | 'MergeIncident'
      | 'SubmitIncidentReport'
      | 'ConcludeInvestigation'
      | 'CloseIncident'
      | 'FireDeadline';
  }
>;

/** The seven fields of BG99 第4条 (contract §5 report draft), plus `to`, the supervising secrecy office. */
export const REPORT_FIELDS = [
  'to',
  'content',
  'discovery',
  'responsible',
  'course',
  'harm',
  'investigation',
  'remedialMeasures',
] as const;

/** The deadline codes decided on incident streams: when each is due and when it was met. */
const DEADLINE_RULES = {
  // TL2024 实施条例 第61条; 004_d1fc20a45ee67265.txt 一事一报 24小时内上报.
  LEAK_REPORT_LATE: {
    due: (i: IncidentRecord) => i.reportDueAt,
    doneAt: (i: IncidentRecord) => i.reportedAt,
    what: 'written report',
  },
  // BG99 报告泄露国家秘密事件的规定 第5条.
  INVESTIGATION_REPORT_LATE: {
    due: (i: IncidentRecord) => i.investigationDueAt,
    doneAt: (i: IncidentRecord) => i.concludedAt,
    what: 'investigation result',
  },
} as const;
type IncidentDeadlineCode = keyof typeof DEADLINE_RULES;

/**
 * The one id a late report or conclusion is flagged with, whether the deadline fired or the late submission came
 * first (a scheduler that was down): derived from the incident and the code, so it is never flagged twice.
 */
export const incidentViolationId = (incidentId: string, code: IncidentDeadlineCode): string => `${incidentId}:${code}`;

type RecordedIncident = Extract<IncidentState, { status: 'recorded' }>;

/** A late-flag for an incident, or none when it is already flagged. Never opens an incident (it is about one). */
const lateFlag = (state: RecordedIncident, code: IncidentDeadlineCode): ViolationDetected[] => {
  const i = state.incident;
  const violationId = incidentViolationId(i.incidentId, code);
  if (violationId in state.violations) return [];
  const rule = DEADLINE_RULES[code];
  // The catalogue's severity and source; the id is the incident's, not a command's, and `at` is the due instant.
  const flag = violation({ commandId: i.incidentId, at: rule.due(i) }, code, {
    itemId: i.itemIds[0] ?? null,
    personId: null,
    detail: `incident ${i.incidentId}: no ${rule.what} by ${rule.due(i)}`,
  });
  return [{ ...flag, data: { ...flag.data, violationId } }];
};

/**
 * A report or result made in time but entered after its deadline fired (a paper record typed in afterwards, contract
 * §5.1 2: judged as things stood when it happened): the deadline's flag was true of what the ledger knew when it
 * fired and stays in the history, but it is resolved now, with the instant the record shows — an open "no report by
 * the deadline" beside an incident that was reported in time would contradict itself (TL2024 实施条例 第61条; BG99 第5条).
 */
const inTimeAfterAll = (
  state: RecordedIncident,
  command: { actor: string; at: string },
  code: IncidentDeadlineCode,
): ViolationResolved[] => {
  const violationId = incidentViolationId(state.incident.incidentId, code);
  if (state.violations[violationId] !== 'open') return [];
  const note = `the ${DEADLINE_RULES[code].what} was made at ${command.at}, by ${DEADLINE_RULES[code].due(state.incident)}: entered after the deadline fired`;
  return [resolution(command, violationId, note)];
};

/** BG99 第5条: the written result is due 3 months after discovery; a late one is accepted and flagged once. */
const conclusion = (
  state: RecordedIncident,
  command: { actor: string; at: string },
  finding: string,
  responsible: string[],
): IncidentEvent[] => {
  const { incidentId, investigationDueAt: dueAt } = state.incident;
  const late = isAfter(command.at, dueAt);
  return [
    {
      type: 'InvestigationConcluded',
      data: { incidentId, finding, responsible: [...responsible], by: command.actor, at: command.at, dueAt, late },
    },
    ...(late
      ? lateFlag(state, 'INVESTIGATION_REPORT_LATE')
      : inTimeAfterAll(state, command, 'INVESTIGATION_REPORT_LATE')),
  ];
};

export const planIncident = (command: IncidentCommand, _ctx: DecisionContext): Needs => {
  if (command.type === 'FireDeadline') return { streams: [command.data.deadline.streamId] };
  const stream = incidentStream(command.data.incidentId);
  if (command.type === 'MergeIncident') {
    const into =
      typeof command.data.into === 'string' && command.data.into !== '' ? [incidentStream(command.data.into)] : [];
    return { streams: [stream, ...into] };
  }
  if (command.type === 'OpenIncident') {
    const itemIds = Array.isArray(command.data.itemIds)
      ? command.data.itemIds.filter((i) => typeof i === 'string')
      : [];
    const by = typeof command.data.discoveredBy === 'string' ? [personStream(command.data.discoveredBy)] : [];
    return { streams: [stream, ...itemIds.map(itemStream), ...by] };
  }
  return { streams: [stream] };
};

const recorded = (
  ctx: DecisionContext,
  incidentId: string,
  field = 'incidentId',
): Extract<IncidentState, { status: 'recorded' }> => {
  const state = stateOf<IncidentState>(ctx, incidentStream(incidentId));
  if (state.status === 'none') throw new UnknownReference('UNKNOWN_INCIDENT', field, incidentId);
  return state;
};

/**
 * contract §5.1 3 (004_d1fc20a45ee67265.txt 一事一报): two incidents the responder finds are one event become one. The
 * merged one must not have been reported (its report already went out as its own event); its causes — and, for an
 * incident opened by hand, its items — join `into` as causes there, `into` keeps its discovery (its deadline does
 * not move) and the merged incident's own deadlines end.
 */
const mergeIncident = (command: Extract<IncidentCommand, { type: 'MergeIncident' }>, ctx: DecisionContext) => {
  const data = command.data as unknown as Record<string, unknown>;
  const incidentId = requireText(data, 'incidentId');
  const intoId = requireText(data, 'into');
  if (intoId === incidentId) throw new InvalidCommand('into', 'must name another incident than incidentId');
  const merged = recorded(ctx, incidentId);
  const into = recorded(ctx, intoId, 'into');
  const m = merged.incident;
  if (m.mergedInto !== null)
    throw refuse('ALREADY_MERGED', `incident ${incidentId} was merged into ${m.mergedInto}`, 'incidentId');
  if (m.reportedAt !== null)
    throw refuse('ALREADY_REPORTED', `incident ${incidentId} was reported at ${m.reportedAt}`, 'incidentId');
  if (into.incident.mergedInto !== null)
    throw refuse(
      'ALREADY_MERGED',
      `incident ${intoId} was merged into ${into.incident.mergedInto}: merge into that one`,
      'into',
    );
  if (into.incident.closedAt !== null)
    throw refuse('ALREADY_CLOSED', `incident ${intoId} was closed at ${into.incident.closedAt}`, 'into');
  const kind = graver(into.incident.kind, m.kind);
  const covered = new Set(m.causes.map((c) => c.itemId));
  const causes = [
    ...m.causes.map((c) => ({ code: c.code, itemId: c.itemId, violationId: c.violationId, personId: null, at: c.at })),
    // An incident opened by hand names items without causes: they join as the responder's own report.
    ...m.itemIds
      .filter((i) => !covered.has(i))
      .map((itemId) => ({ code: 'OpenIncident', itemId, violationId: null, personId: null, at: m.occurredAt })),
  ];
  const added: IncidentEvent[] = causes.map((c, i) => ({
    type: 'IncidentCauseAdded',
    data: { incidentId: intoId, ...c, kind, previousKind: i === 0 ? into.incident.kind : kind, mergedFrom: incidentId },
  }));
  const mergedEvent: IncidentEvent = {
    type: 'IncidentMerged',
    data: { incidentId, into: intoId, by: command.actor, at: command.at },
  };
  return [...writeTo(incidentStream(incidentId), [mergedEvent]), ...writeTo(incidentStream(intoId), added)];
};

export const decideIncident = (command: IncidentCommand, ctx: DecisionContext): StreamEvents[] => {
  const data = command.data as unknown as Record<string, unknown>;
  switch (command.type) {
    case 'OpenIncident': {
      const incidentId = requireText(data, 'incidentId');
      const kind = requireOneOf(data, 'kind', INCIDENT_KINDS);
      const itemIds = command.data.itemIds;
      if (!Array.isArray(itemIds) || itemIds.length === 0 || itemIds.some((i) => typeof i !== 'string' || i === '')) {
        throw new InvalidCommand('itemIds', 'must name at least one item');
      }
      const discoveredAt = requireInstant(data, 'discoveredAt');
      // Discovery may be entered late (paper logs), never ahead of the recording.
      if (isAfter(discoveredAt, command.at)) throw new InvalidCommand('discoveredAt', 'is after the command instant');
      const discoveredBy = requireText(data, 'discoveredBy');
      const description = requireText(data, 'description');
      if (stateOf<IncidentState>(ctx, incidentStream(incidentId)).status !== 'none') {
        throw refuse('INCIDENT_EXISTS', `incident ${incidentId} is already recorded`, 'incidentId');
      }
      for (const itemId of itemIds) requireStream(ctx, itemStream(itemId), 'UNKNOWN_ITEM', 'itemIds', itemId);
      requireStream(ctx, personStream(discoveredBy), 'UNKNOWN_PERSON', 'discoveredBy', discoveredBy);
      const events: IncidentEvent[] = [
        {
          type: 'IncidentOpened',
          data: {
            incidentId,
            kind,
            itemIds: [...new Set(itemIds)],
            discoveredAt,
            discoveredBy,
            description,
            causes: [],
            at: command.at,
          },
        },
      ];
      return writeTo(incidentStream(incidentId), events);
    }
    case 'RecordRemedialAction': {
      const incidentId = requireText(data, 'incidentId');
      const action = requireText(data, 'action');
      recorded(ctx, incidentId);
      // BG99; 004_d1fc20a45ee67265.txt 采取有效的补救措施: a fact, recorded whatever the incident's status.
      const events: IncidentEvent[] = [
        { type: 'RemedialActionRecorded', data: { incidentId, action, by: command.actor, at: command.at } },
      ];
      return writeTo(incidentStream(incidentId), events);
    }
    case 'MergeIncident':
      return mergeIncident(command, ctx);
    case 'SubmitIncidentReport': {
      const incidentId = requireText(data, 'incidentId');
      const fields = Object.fromEntries(REPORT_FIELDS.map((f) => [f, requireText(data, f)])) as Record<
        (typeof REPORT_FIELDS)[number],
        string
      >;
      const state = recorded(ctx, incidentId);
      // 004_d1fc20a45ee67265.txt 一事一报: exactly one report per incident.
      if (state.incident.reportedAt !== null) {
        throw refuse(
          'ALREADY_REPORTED',
          `incident ${incidentId} was reported at ${state.incident.reportedAt}`,
          'incidentId',
        );
      }
      const dueAt = state.incident.reportDueAt;
      const late = isAfter(command.at, dueAt);
      // TL2024 实施条例 第61条: a late report is still accepted (the incident stays overdue); if the deadline has not
      // fired yet, the lateness is flagged here with the id the deadline would use.
      const events: IncidentEvent[] = [
        { type: 'IncidentReported', data: { incidentId, ...fields, by: command.actor, at: command.at, dueAt, late } },
        ...(late ? lateFlag(state, 'LEAK_REPORT_LATE') : inTimeAfterAll(state, command, 'LEAK_REPORT_LATE')),
      ];
      return writeTo(incidentStream(incidentId), events);
    }
    case 'ConcludeInvestigation': {
      const incidentId = requireText(data, 'incidentId');
      const finding = requireText(data, 'finding');
      const responsible = command.data.responsible;
      if (!Array.isArray(responsible) || responsible.some((r) => typeof r !== 'string')) {
        throw new InvalidCommand('responsible', 'must be a list of the persons held responsible');
      }
      const state = recorded(ctx, incidentId);
      if (state.incident.concludedAt !== null) {
        throw refuse(
          'ALREADY_CONCLUDED',
          `incident ${incidentId} was concluded at ${state.incident.concludedAt}`,
          'incidentId',
        );
      }
      return writeTo(incidentStream(incidentId), conclusion(state, command, finding, responsible));
    }
    case 'CloseIncident': {
      const incidentId = requireText(data, 'incidentId');
      const state = recorded(ctx, incidentId);
      if (state.incident.closedAt !== null) {
        throw refuse('ALREADY_CLOSED', `incident ${incidentId} was closed at ${state.incident.closedAt}`, 'incidentId');
      }
      // 004_d1fc20a45ee67265.txt 一事一报: an incident is not closed before it has been reported.
      if (state.incident.reportedAt === null) {
        throw refuse('NOT_REPORTED', `incident ${incidentId} has not been reported`, 'incidentId');
      }
      const note = typeof command.data.note === 'string' && command.data.note !== '' ? command.data.note : null;
      // contract §5 gives ConcludeInvestigation and CloseIncident the same fields: a close that carries the finding of
      // an investigation not yet concluded records that conclusion first.
      const { finding, responsible } = command.data;
      const concluding =
        state.incident.concludedAt === null && typeof finding === 'string' && finding.trim() !== ''
          ? conclusion(state, command, finding, Array.isArray(responsible) ? responsible : [])
          : [];
      const events: IncidentEvent[] = [
        ...concluding,
        { type: 'IncidentClosed', data: { incidentId, note, by: command.actor, at: command.at } },
      ];
      return writeTo(incidentStream(incidentId), events);
    }
    case 'FireDeadline': {
      const { deadline } = command.data;
      const state = stateOf<IncidentState>(ctx, deadline.streamId);
      // A merged incident's deadlines ended with the merge (contract §5.1 3).
      if (state.status === 'none' || state.incident.mergedInto !== null) return [];
      if (deadline.kind !== 'LEAK_REPORT_LATE' && deadline.kind !== 'INVESTIGATION_REPORT_LATE') return [];
      const rule = DEADLINE_RULES[deadline.kind];
      const due = rule.due(state.incident);
      const doneAt = rule.doneAt(state.incident);
      // Exactly once, and only when late: done in time, not yet due, or already flagged → nothing to append.
      if (isAfter(due, command.at)) return [];
      if (doneAt !== null && !isAfter(doneAt, due)) return [];
      return writeTo(deadline.streamId, lateFlag(state, deadline.kind));
    }
    default: {
      const unexpected: never = command;
      throw new Error(`incident module cannot decide ${(unexpected as { type: string }).type}`);
    }
  }
};
