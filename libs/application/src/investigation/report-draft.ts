/**
 * The 24-hour leak report draft (contract §5 "Report draft"; BG99 报告泄露国家秘密事件的规定 第4条): the seven fields
 * `SubmitIncidentReport` takes — content, discovery, responsible, course, harm, investigation, remedialMeasures —
 * each as a text a responder can edit and the structured facts it was written from, filled from the ledger; plus the
 * deadline and the time left on the ledger's clock. Submitting stays `SubmitIncidentReport`.
 */
import {
  foldStream,
  isReportOverdue,
  type IncidentState,
  incidentStream,
  type DomainEvent,
  type IncidentView,
  type PersonView,
  ms,
} from '@app/custody';
import type { LedgerCore } from '../ledger-core';
import { DEFAULT_LANG, type Lang } from '../i18n/i18n';
import { type NameLookups } from '../i18n/event-summary';
import { draftTexts } from './report-draft-text';
import { exposureOf, type ExposureEntry, type ExposureSet } from './exposure';
import { lookups, type DraftContext } from './report-fields/draft-kit';
import { draftContent } from './report-fields/content.field';
import { draftDiscovery } from './report-fields/discovery.field';
import { draftResponsible } from './report-fields/responsible.field';
import { draftCourse } from './report-fields/course.field';
import { draftHarm } from './report-fields/harm.field';
import { draftInvestigation } from './report-fields/investigation.field';
import { draftRemedialMeasures } from './report-fields/remedial-measures.field';
import { loadItemTree, verifyStream, type ItemTreeNode } from './history';

export const REPORT_DRAFT_FIELDS = [
  'content',
  'discovery',
  'responsible',
  'course',
  'harm',
  'investigation',
  'remedialMeasures',
] as const;
export type ReportDraftField = (typeof REPORT_DRAFT_FIELDS)[number];

export interface DraftField<F> {
  /** What the responder edits and submits. */
  text: string;
  /** What the text was written from. */
  facts: F;
}

export interface TimelineEntry {
  at: string;
  recordedAt: string;
  itemId: string | null;
  streamId: string;
  type: string;
  actor: string;
  summary: string;
  placeId: string | null;
  violations: string[];
}

export interface ReportDraft {
  incidentId: string;
  kind: IncidentView['kind'];
  status: IncidentView['status'];
  /** The supervising secrecy office (from `?to=`, else empty for the responder to fill). */
  to: string;
  now: string;
  /** When the ledger learned of it: the 24 hours count from here (contract §5.1 1). */
  discoveredAt: string;
  /** When it happened: the earliest of its causes (contract §5.1 1). */
  occurredAt: string;
  reportDueAt: string;
  /** reportDueAt − now on the ledger's clock (negative once past). */
  timeLeftMs: number;
  /** The report was not in by the deadline (stays true after a late report). */
  overdue: boolean;
  submitted: boolean;
  reportedAt: string | null;
  report: Record<string, unknown> | null;
  content: DraftField<ContentFacts>;
  discovery: DraftField<DiscoveryFacts>;
  responsible: DraftField<ResponsibleFacts>;
  course: DraftField<{ events: TimelineEntry[] }>;
  harm: DraftField<HarmFacts>;
  investigation: DraftField<InvestigationFacts>;
  remedialMeasures: DraftField<{ actions: IncidentView['remedialActions'] }>;
  /** The body to POST to /api/commands/SubmitIncidentReport once edited. */
  submission: { data: Record<string, string> };
}

export interface ContentFacts {
  items: {
    itemId: string;
    copyOf: string | null;
    depth: number;
    title: string | null;
    level: string | null;
    carrier: string | null;
    copyNo: number | null;
    status: string | null;
  }[];
  quantity: number;
  originals: number;
  copies: number;
}

export interface DiscoveryFacts {
  discoveredAt: string;
  occurredAt: string;
  discoveredBy: string | null;
  recordedAt: string | null;
  description: string;
  causes: {
    code: string;
    itemId: string | null;
    violationId: string | null;
    personId: string | null;
    at: string;
    detail: string | null;
  }[];
}

export interface ResponsibleFacts {
  /** The custodian of the first cause's item when the first cause happened (its last holder if that cause ended custody). */
  personId: string | null;
  person: PersonView | null;
  itemId: string | null;
  at: string | null;
  /** Custodian of each incident item at the first cause. */
  custodians: { itemId: string; personId: string | null }[];
  /** Named by a concluded investigation, if any. */
  concluded: string[] | null;
}

export interface HarmMovement {
  itemId: string;
  at: string;
  what: string;
  placeId: string | null;
  placeName: string | null;
}

/**
 * Field 5 states harm honestly (contract §5.1 point 12): as harm only what went outside the permitted range —
 * out-of-scope contacts, outsiders, unapproved carry-outs, insecure channels, missing items; approved movements apart.
 */
export interface HarmFacts {
  exposure: ExposureSet;
  /** Readings by persons outside reading scope: BG99 第2条 (a), the item became known to someone not entitled. */
  unentitledReadings: ExposureEntry[];
  /** Every contact (held or read) outside reading scope, outsiders included. */
  outOfScopeContacts: ExposureEntry[];
  /** Outsiders (not registered persons) who read an item, by name (contract §5.1 point 9). */
  outsiders: { name: string; affiliation: string | null; itemId: string; at: string; placeName: string | null }[];
  /** Where the items went beyond their permitted range (unapproved carry-outs, insecure channels, losses): 第2条 (b). */
  beyondRange: HarmMovement[];
  /** Movements made under an approval: listed apart, as within approval, not as harm. */
  withinApproval: HarmMovement[];
  missing: { itemId: string; status: string }[];
}

export interface InvestigationFacts {
  conclusion: { finding: string; responsible: string[]; concludedAt: string | null } | null;
  investigationDueAt: string;
  openViolations: {
    violationId: string;
    code: string;
    severity: string;
    itemId: string | null;
    personId: string | null;
    at: string;
    detail: string | null;
  }[];
  resolvedViolations: number;
}

export const buildReportDraft = async (
  core: LedgerCore,
  incidentId: string,
  options: { to?: string; lang?: Lang } = {},
): Promise<ReportDraft | null> => {
  const lang = options.lang ?? DEFAULT_LANG;
  const names: NameLookups = {
    personName: (id) => core.readModels.custody.person(id)?.name ?? null,
    place: (id) => core.readModels.custody.place(id),
  };
  await core.readModels.catchUp();
  const incidentEvents = verifyStream(await core.store.readStream(incidentStream(incidentId)));
  const state = foldStream(
    incidentStream(incidentId),
    incidentEvents.map((v) => v.event as unknown as DomainEvent),
  ) as IncidentState;
  if (state.status === 'none') return null;
  const incident = state.incident;
  const now = core.clock.now().toISOString();
  const l = lookups(core);

  // The incident's items and every copy of them.
  const nodes: ItemTreeNode[] = [];
  for (const id of incident.itemIds) {
    for (const n of (await loadItemTree(core.store, id, {}, true)) ?? [])
      if (!nodes.some((m) => m.itemId === n.itemId)) nodes.push(n);
  }
  const exposure = (await exposureOf(core, incident.itemIds)) ?? {
    itemIds: [],
    entries: [],
    persons: [],
    copyTree: [],
    outsideScope: { entries: 0, persons: [] },
  };

  const ctx: DraftContext = { core, incident, state, incidentEvents, nodes, exposure, l, lang, names };
  const content = draftContent(ctx);
  const { discovery, causes, occurredAt } = draftDiscovery(ctx);
  const { responsible, firstAt } = await draftResponsible(ctx, causes);
  const course = draftCourse(ctx, firstAt);
  const harm = draftHarm(ctx);
  const investigation = draftInvestigation(ctx);
  const remedialMeasures = draftRemedialMeasures(ctx);

  const to = options.to ?? '';
  const fields = { content, discovery, responsible, course, harm, investigation, remedialMeasures };
  const head = {
    incidentId,
    kind: incident.kind,
    status: incident.status,
    to,
    now,
    discoveredAt: incident.discoveredAt,
    occurredAt,
    reportDueAt: incident.reportDueAt,
    timeLeftMs: ms(incident.reportDueAt) - ms(now),
    overdue: isReportOverdue(incident, now),
    submitted: incident.reportedAt !== null,
    reportedAt: incident.reportedAt,
    report: incident.report,
  };
  // Other languages: the same facts, the catalogue's words (report-draft-text.ts).
  if (lang !== 'en') {
    const texts = draftTexts(lang, { ...head, ...fields }, names);
    for (const f of REPORT_DRAFT_FIELDS) fields[f] = { ...fields[f], text: texts[f] } as never;
  }
  return {
    ...head,
    ...fields,
    submission: {
      data: { incidentId, to, ...Object.fromEntries(REPORT_DRAFT_FIELDS.map((f) => [f, fields[f].text])) },
    },
  };
};
