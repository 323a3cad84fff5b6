/**
 * The 24-hour leak report draft (contract §5 "Report draft"; BG99 报告泄露国家秘密事件的规定 第4条): the seven fields
 * `SubmitIncidentReport` takes — content, discovery, responsible, course, harm, investigation, remedialMeasures —
 * each as a text a responder can edit and the structured facts it was written from, filled from the ledger; plus the
 * deadline and the time left on the ledger's clock. Submitting stays `SubmitIncidentReport`.
 */
import {
  evolveStream,
  foldStream,
  initialStateOf,
  itemView,
  isReportOverdue,
  type IncidentState,
  incidentStream,
  itemStream,
  type DomainEvent,
  type IncidentView,
  type PersonView,
  type PlaceView,
  ms,
} from '@app/custody';
import type { RecordedEvent } from '@app/ledger';
import type { LedgerCore } from '../ledger-core';
import { DEFAULT_LANG, type Lang } from '../i18n/i18n';
import { summarizeEvent, type NameLookups } from '../i18n/event-summary';
import { draftTexts } from './report-draft-text';
import { exposureOf, type ExposureEntry, type ExposureSet } from './exposure';
import {
  byOccurredAt,
  loadItemTree,
  PersonTimelines,
  readPersonStreams,
  verifyStream,
  type ItemTreeNode,
  type RaisedViolation,
} from './history';

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

const outsiderText = (o: { name: string; affiliation?: string | null }): string =>
  `${o.name}${o.affiliation ? ` (${o.affiliation})` : ''}, not a registered person`;

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

const when = (iso: string): string => `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

type Lookups = {
  person: (id: string | null | undefined) => string;
  place: (id: string | null | undefined) => string;
  placeView: (id: string | null | undefined) => PlaceView | null;
};

const lookups = (core: LedgerCore): Lookups => {
  const places = new Map<string, PlaceView | null>();
  const persons = new Map<string, PersonView | null>();
  const placeView = (id: string | null | undefined): PlaceView | null => {
    if (!id) return null;
    if (!places.has(id)) places.set(id, core.readModels.custody.place(id));
    return places.get(id)!;
  };
  return {
    person: (id) => {
      if (!id) return 'nobody';
      if (!persons.has(id)) persons.set(id, core.readModels.custody.person(id));
      const p = persons.get(id);
      return p ? `${p.name} [${id}]` : id;
    },
    place: (id) => {
      const p = placeView(id);
      return p ? `${p.name} (${p.kind})` : (id ?? 'an unrecorded place');
    },
    placeView,
  };
};

/** One line per event, in words. */
const describe = (e: RecordedEvent, l: Lookups): string => {
  const d = e.data as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- event data, read field by field
  switch (e.type) {
    case 'ItemReceived':
      return `received by ${l.person(d.receivedBy)} from ${d.sender}: "${d.title}", ${d.level}, ${d.carrier}${d.copyNo ? `, copy No. ${d.copyNo}` : ''}`;
    case 'ClassificationProposed':
      return `classification ${d.level} proposed by ${l.person(d.proposedBy)}: "${d.title}"`;
    case 'ClassificationReviewed':
      return `classification review (${d.decision}) by ${l.person(d.reviewedBy)}`;
    case 'ItemClassified':
      return `classified ${d.level}, approved by ${l.person(d.approvedBy)}; custodian ${l.person(d.custodian)}`;
    case 'ItemDispatched':
      return `dispatched to ${d.to} by ${d.channel}${d.couriers?.length ? `, couriers ${d.couriers.map(l.person).join(', ')}` : ''}`;
    case 'ReceiptAcknowledged':
      return `receipt acknowledged by ${l.person(d.by)}`;
    case 'ItemHandedOver': {
      const gaps = [
        ...(d.itemized ? [] : ['not itemized']),
        ...(d.signedByBoth ? [] : ['not signed by both']),
        ...(d.supervisor ? [] : ['no supervisor signed']),
      ];
      return (
        `handed over by ${l.person(d.from)} to ${l.person(d.to)} (handover ${d.handoverId}${gaps.length ? `, ${gaps.join(', ')}` : ''})` +
        `${d.onLoanTo ? `; out on loan to ${l.person(d.onLoanTo)}, who keeps it until its return` : ''}`
      );
    }
    case 'ItemRead':
      return `read by ${d.outsider ? outsiderText(d.outsider) : l.person(d.reader)} at ${l.place(d.placeId)}`;
    case 'ScopeExtended':
      return `reading scope extended to ${(d.persons as string[]).map(l.person).join(', ')} by ${l.person(d.approvedBy)}`;
    case 'CopyRequested':
      return `${d.copies} copy(ies) requested by ${l.person(d.requestedBy)} (request ${d.requestId})`;
    case 'CopyApproved':
      return `copy request ${d.requestId} approved by ${l.person(d.approvedBy)}`;
    case 'ItemCopied':
      return `copied as ${d.copyItemId} by ${l.person(d.by)}${d.requestId ? ` (request ${d.requestId})` : ' (no request)'}`;
    case 'CopyRegistered':
      return `copy No. ${d.copyNo} of ${d.copyOf} registered; custodian ${l.person(d.custodian)}`;
    case 'LoanApproved':
      return `loan ${d.loanId} to ${l.person(d.borrower)} approved by ${l.person(d.approvedBy)}, due ${when(d.dueAt)}`;
    case 'ItemLent':
      return `lent to ${l.person(d.borrower)} (loan ${d.loanId}${d.approved ? '' : ', not approved'}), due ${when(d.dueAt)}`;
    case 'ItemReturned':
      return `returned to ${l.person(d.returnedTo)} (loan ${d.loanId}${d.unrecorded ? ', a loan the ledger never recorded' : ''})`;
    case 'CarryOutApproved':
      return `carry-out by ${l.person(d.person)} to ${l.place(d.destination)} approved by ${l.person(d.approvedBy)} until ${when(d.until)}`;
    case 'ItemCarriedOut':
      return `carried out by ${l.person(d.person)} to ${l.place(d.destination)}${d.approved ? '' : ' without approval'}`;
    case 'ItemBroughtBack':
      return `brought back by ${l.person(d.person)}${d.placeId ? ` to ${l.place(d.placeId)}` : ''}`;
    case 'ItemArchived':
      return `archived at ${l.place(d.placeId)} by ${l.person(d.keeper)}`;
    case 'GatePassed':
      return `passed gate ${d.gate} (${d.direction})`;
    case 'ItemSighted':
      return `sighted by an inventory${d.placeId ? ` at ${l.place(d.placeId)}` : ''}`;
    case 'ItemMissing':
      return `not found by inventory ${d.inventoryId}: missing`;
    case 'ItemLost':
      return `reported lost by ${l.person(d.discoveredBy)}: ${d.circumstances}`;
    case 'DestructionApproved':
      return `destruction approved by ${l.person(d.approvedBy)}`;
    case 'ItemDestroyed':
      return `destroyed (${d.method}) at ${l.place(d.placeId)} by ${l.person(d.destroyedBy)}, witnesses ${(d.witnesses as string[]).map(l.person).join(', ') || 'none'}`;
    case 'SecrecyPeriodExtended':
      return `secrecy period extended to ${when(d.newDeclassifyOn)} by ${l.person(d.approvedBy)}${d.followsOriginal ? `, following its original ${d.followsOriginal}` : ''}${d.noticeRef ? ` (originator notice ${d.noticeRef})` : ''}`;
    case 'ItemDeclassified':
      return `declassified${d.automatic ? ' (period expired)' : ` by ${l.person(d.by)}`}: ${d.reason}${d.followsOriginal ? `, following its original ${d.followsOriginal}` : ''}${d.noticeRef ? ` (originator notice ${d.noticeRef})` : ''}`;
    case 'LevelChanged':
      return `level changed from ${d.from} to ${d.to} by ${l.person(d.approvedBy)}${d.followsOriginal ? `, following its original ${d.followsOriginal}` : ''}${d.noticeRef ? ` (originator notice ${d.noticeRef})` : ''}`;
    case 'OriginatorNoticeRecorded':
      return `notice ${d.noticeRef} of the originating organ ${d.classifiedBy ?? ''} recorded: ${d.decision}${d.level ? ` to ${d.level}` : ''}${d.newDeclassifyOn ? ` until ${when(d.newDeclassifyOn)}` : ''}`;
    case 'ViolationDetected':
      return `violation ${d.code} (${d.severity}): ${d.detail}`;
    case 'ViolationResolved':
      return `violation ${d.violationId} resolved by ${l.person(d.resolvedBy)}: ${d.note}`;
    case 'IncidentOpened':
      return `incident ${d.incidentId} opened (${d.kind}): ${d.description}`;
    case 'IncidentCauseAdded':
      return `${d.code}${d.itemId ? ` on ${d.itemId}` : ''} joined the incident (now ${d.kind})`;
    case 'RemedialActionRecorded':
      return `remedial action by ${l.person(d.by)}: ${d.action}`;
    case 'IncidentReported':
      return `report submitted by ${l.person(d.by)} to ${d.to}${d.late ? ' (late)' : ''}`;
    case 'InvestigationConcluded':
      return `investigation concluded: ${d.finding}`;
    case 'IncidentClosed':
      return `incident closed${d.note ? `: ${d.note}` : ''}`;
    default:
      return e.type;
  }
};

const placeOf = (e: RecordedEvent): string | null => {
  const d = e.data as Record<string, unknown>;
  const p = d.placeId ?? d.destination;
  return typeof p === 'string' ? p : null;
};

/** The custodian of an item at instant `at` in the world's order; when that instant ended custody, its last holder. */
const custodianAt = (node: ItemTreeNode, at: string): string | null => {
  const streamId = itemStream(node.itemId);
  let state = initialStateOf(streamId);
  let custodian: string | null = null;
  let lastHolder: string | null = null;
  for (const e of node.all
    .map((v) => v.event)
    .filter((x) => ms(x.metadata.occurredAt) <= ms(at))
    .sort(byOccurredAt)) {
    state = evolveStream(streamId, state, e as unknown as DomainEvent);
    // A loss or a destruction leaves nobody holding it: the one answerable is who held it last.
    custodian = itemView(state as never)?.custodian ?? null;
    if (custodian) lastHolder = custodian;
  }
  return custodian ?? lastHolder;
};

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

  // (1) content, level, quantity, carrier
  const items = nodes.map((n) => ({
    itemId: n.itemId,
    copyOf: n.copyOf,
    depth: n.depth,
    title: n.state?.title ?? null,
    level: n.state?.level ?? null,
    carrier: n.state?.carrier ?? null,
    copyNo: n.state?.copyNo ?? null,
    status: n.state?.status ?? null,
  }));
  const originals = items.filter((i) => i.depth === 0);
  const copies = items.filter((i) => i.depth > 0);
  const itemLine = (i: (typeof items)[number]) =>
    `"${i.title}" [${i.itemId}]${i.copyOf ? `, a copy of ${i.copyOf}` : ''}, ${i.level}, ${i.carrier}${i.copyNo ? `, copy No. ${i.copyNo}` : ''}, now ${i.status}`;
  const content: ReportDraft['content'] = {
    text: [
      `${originals.length} classified item(s)${copies.length ? ` and ${copies.length} copy(ies) made of them` : ''}, ${items.length} in all:`,
      ...items.map((i) => `- ${itemLine(i)}`),
    ].join('\n'),
    facts: { items, quantity: items.length, originals: originals.length, copies: copies.length },
  };

  // (2) how it was discovered: the causes, who, when
  const opened = incidentEvents.find((v) => v.event.type === 'IncidentOpened')?.event;
  const causeEvents = incidentEvents
    .map((v) => v.event)
    .filter((e) => e.type === 'IncidentOpened' || e.type === 'IncidentCauseAdded');
  const rawCauses = causeEvents.flatMap((e) =>
    e.type === 'IncidentOpened'
      ? (
          e.data as {
            causes: {
              code: string;
              itemId: string | null;
              violationId: string | null;
              personId: string | null;
              at: string;
            }[];
          }
        ).causes
      : [
          e.data as {
            code: string;
            itemId: string | null;
            violationId: string | null;
            personId: string | null;
            at: string;
          },
        ],
  );
  const lostDetail = (itemId: string | null, at: string): string | null => {
    const node = nodes.find((n) => n.itemId === itemId);
    const lost = node?.all.find((v) => v.event.type === 'ItemLost' && ms(v.event.metadata.occurredAt) === ms(at));
    return lost
      ? `reported lost by ${l.person((lost.event.data as { discoveredBy: string }).discoveredBy)}: ${(lost.event.data as { circumstances: string }).circumstances}`
      : null;
  };
  const causes = rawCauses.map((c) => ({
    code: c.code,
    itemId: c.itemId,
    violationId: c.violationId,
    personId: c.personId ?? null,
    at: c.at,
    detail:
      (c.violationId ? core.readModels.violations.get(c.violationId)?.detail : null) ?? lostDetail(c.itemId, c.at),
  }));
  const causeLine = (c: (typeof causes)[number]) =>
    `${when(c.at)}: ${c.code}${c.itemId ? ` on ${c.itemId}` : ''}${c.personId ? ` (${l.person(c.personId)})` : ''}${c.detail ? ` — ${c.detail}` : ''}`;
  // Views stored before v2 have no occurredAt: the discovery stands in.
  const occurredAt = incident.occurredAt ?? incident.discoveredAt;
  const discovery: ReportDraft['discovery'] = {
    text: [
      `Discovered ${when(incident.discoveredAt)} by ${l.person(incident.discoveredBy)}${opened ? `, recorded in the custody ledger at ${when(opened.metadata.recordedAt)}` : ''}: ${incident.description}.`,
      // contract §5.1 1: a paper record entered late was discovered when entered; say when it happened too.
      ...(occurredAt !== incident.discoveredAt ? [`It happened ${when(occurredAt)}.`] : []),
      ...(causes.length
        ? [
            'Causes recorded (the first opened the incident, later ones joined it):',
            ...causes.map((c) => `- ${causeLine(c)}`),
          ]
        : []),
    ].join('\n'),
    facts: {
      discoveredAt: incident.discoveredAt,
      occurredAt,
      discoveredBy: incident.discoveredBy,
      recordedAt: opened?.metadata.recordedAt ?? null,
      description: incident.description,
      causes,
    },
  };

  // (3) the responsible person: the custodian at the time of the first cause
  const first = [...causes].sort((a, b) => ms(a.at) - ms(b.at))[0];
  const firstAt = first?.at ?? incident.discoveredAt;
  const custodians = nodes
    .filter((n) => incident.itemIds.includes(n.itemId))
    .map((n) => ({ itemId: n.itemId, personId: custodianAt(n, firstAt) }));
  const firstItem = first?.itemId ?? incident.itemIds[0] ?? null;
  const responsibleId = custodians.find((c) => c.itemId === firstItem)?.personId ?? null;
  const timelines = PersonTimelines.fromStreams(
    await readPersonStreams(
      core,
      custodians.map((c) => c.personId).filter((p): p is string => !!p),
    ),
  );
  const responsiblePerson = responsibleId ? timelines.at(responsibleId, firstAt) : null;
  const concluded = state.incident.investigation?.responsible ?? null;
  const responsible: ReportDraft['responsible'] = {
    text: [
      responsibleId
        ? `${l.person(responsibleId)}${responsiblePerson ? `, ${responsiblePerson.rank} of ${responsiblePerson.unit}, clearance ${responsiblePerson.clearance}` : ''}: custodian of ${firstItem} at ${when(firstAt)}, when ${first?.code ?? 'the incident'} occurred.`
        : `Nobody held ${firstItem ?? 'the item'} at ${when(firstAt)} according to the ledger.`,
      ...custodians
        .filter((c) => c.itemId !== firstItem)
        .map((c) => `Custodian of ${c.itemId} at that time: ${l.person(c.personId)}.`),
      ...(concluded ? [`The investigation names: ${concluded.map(l.person).join(', ')}.`] : []),
    ].join('\n'),
    facts: {
      personId: responsibleId,
      person: responsiblePerson,
      itemId: firstItem,
      at: first?.at ?? incident.discoveredAt,
      custodians,
      concluded,
    },
  };

  // (4) time, place and course: the items' timeline around the incident
  const raisedCodes = (raised: RaisedViolation[]) => raised.map((r) => r.code);
  const attached = new Set(nodes.flatMap((n) => n.all.flatMap((v) => v.raised.map((r) => r.violationId))));
  const timeline: TimelineEntry[] = [...nodes.flatMap((n) => n.all), ...incidentEvents]
    .filter(
      (v) =>
        !(v.event.type === 'ViolationDetected' && attached.has((v.event.data as { violationId: string }).violationId)),
    )
    .sort((a, b) => byOccurredAt(a.event, b.event))
    .map((v) => ({
      at: v.event.metadata.occurredAt,
      recordedAt: v.event.metadata.recordedAt,
      itemId: (v.event.data as { itemId?: string }).itemId ?? null,
      streamId: v.event.streamId,
      type: v.event.type,
      actor: v.event.metadata.actor,
      summary: lang === 'en' ? describe(v.event, l) : summarizeEvent(lang, v.event, names),
      placeId: placeOf(v.event),
      violations: raisedCodes(v.raised),
    }));
  // The text keeps the days around the incident; the facts keep everything.
  const windowStart = ms(firstAt) - 72 * 3600_000;
  const shown = timeline.filter((t, i) => ms(t.at) >= windowStart || i === 0);
  const line = (t: TimelineEntry) =>
    `- ${when(t.at)}${t.itemId && t.streamId.startsWith('item-') ? ` ${t.itemId}` : ''}: ${t.summary}${t.violations.length ? ` [${t.violations.join(', ')}]` : ''}` +
    `${ms(t.recordedAt) - ms(t.at) > 3600_000 ? ` (entered late, ${when(t.recordedAt)})` : ''}`;
  const course: ReportDraft['course'] = {
    text: [
      `Course of events (${timeline.length} recorded${shown.length < timeline.length ? `; ${timeline.length - shown.length} earlier than 72 h before the first cause omitted here` : ''}):`,
      ...shown.map(line),
    ].join('\n'),
    facts: { events: timeline },
  };

  // (5) actual or possible harm (BG99 第4条 5). contract §5.1 point 12: only what went outside the permitted range is
  // harm — contacts outside reading scope (outsiders included), unapproved carry-outs, insecure channels, destruction
  // outside the unit, missing items; movements under an approval are listed apart, as within approval.
  const outOfScopeContacts = exposure.entries.filter((e) => !e.withinScope);
  const unentitledReadings = outOfScopeContacts.filter((e) => e.kind === 'reading');
  const outsiders = exposure.entries
    .filter((e) => e.outsider)
    .map((e) => ({
      name: e.outsider!.name,
      affiliation: e.outsider!.affiliation,
      itemId: e.itemId,
      at: e.occurredAt,
      placeName: e.placeName,
    }));
  const beyondRange: HarmMovement[] = [];
  const withinApproval: HarmMovement[] = [];
  const movement = (itemId: string, at: string, what: string, placeId: string | null): HarmMovement => ({
    itemId,
    at,
    what,
    placeId,
    placeName: placeId ? (l.placeView(placeId)?.name ?? null) : null,
  });
  for (const n of nodes)
    for (const v of n.all) {
      const d = v.event.data as Record<string, unknown>;
      const at = v.event.metadata.occurredAt;
      const codes = v.raised.map((r) => r.code);
      if (v.event.type === 'ItemCarriedOut') {
        const m = movement(
          n.itemId,
          at,
          `carried out by ${l.person(String(d.person))} to ${l.place(String(d.destination))}`,
          String(d.destination),
        );
        // An approved carry-out is within approval (contract §5.1 point 12), wherever it went.
        if (d.approved === true) withinApproval.push({ ...m, what: `${m.what}, under an approval` });
        else beyondRange.push({ ...m, what: `${m.what} without an approval` });
      }
      if (v.event.type === 'GatePassed' && codes.includes('CARRY_OUT_UNAPPROVED'))
        beyondRange.push(
          movement(n.itemId, at, `left through gate ${String(d.gate)} without a carry-out approval`, null),
        );
      if (v.event.type === 'ItemLent' && d.approved === true)
        withinApproval.push(
          movement(
            n.itemId,
            at,
            `lent to ${l.person(String(d.borrower))} under loan approval ${String(d.loanId)}`,
            null,
          ),
        );
      if (codes.includes('INSECURE_CHANNEL'))
        beyondRange.push(
          movement(n.itemId, at, `sent by ${String(d.channel)} (an insecure channel) to ${String(d.to)}`, null),
        );
      // 000 不私自销毁: destroyed at a home, a public or an outside place (contract §5.1 point 8).
      if (
        v.event.type === 'ItemDestroyed' &&
        codes.includes('DESTRUCTION_PLACE_NOT_APPROVED') &&
        ['home', 'public', 'external'].includes(String(l.placeView(String(d.placeId))?.kind))
      )
        beyondRange.push(
          movement(n.itemId, at, `destroyed at ${l.place(String(d.placeId))}, outside the unit`, String(d.placeId)),
        );
      if (v.event.type === 'ItemLost' || v.event.type === 'ItemMissing') {
        beyondRange.push(
          movement(
            n.itemId,
            at,
            v.event.type === 'ItemLost'
              ? `lost: ${String(d.circumstances)}`
              : `not found by inventory ${String(d.inventoryId)}`,
            null,
          ),
        );
      }
    }
  beyondRange.sort((a, b) => ms(a.at) - ms(b.at));
  withinApproval.sort((a, b) => ms(a.at) - ms(b.at));
  const missing = nodes
    .filter((n) => n.state?.status === 'missing')
    .map((n) => ({ itemId: n.itemId, status: 'missing' }));
  const who = (e: ExposureEntry): string => (e.outsider ? outsiderText(e.outsider) : l.person(e.personId));
  const contactLine = (e: ExposureEntry): string =>
    `- ${when(e.occurredAt)} ${e.itemId}: ${e.kind === 'reading' ? 'read' : `held (${e.how})`} by ${who(e)}` +
    `${e.placeName ? ` at ${e.placeName}` : ''} — outside reading scope (${e.reason})`;
  const unentitled = [...new Set(unentitledReadings.map(who))];
  const harmful = outOfScopeContacts.length > 0 || beyondRange.length > 0 || missing.length > 0;
  const harm: ReportDraft['harm'] = {
    text: [
      ...(outOfScopeContacts.length
        ? [
            `Actual harm: known to ${outOfScopeContacts.length === 1 ? 'one contact' : `${outOfScopeContacts.length} contacts`} outside the knowledge scope (BG99 第2条 (a)):`,
            ...outOfScopeContacts.map(contactLine),
          ]
        : []),
      ...(unentitled.length ? [`Read without being entitled by: ${unentitled.join(', ')}.`] : []),
      ...(beyondRange.length
        ? [
            `Possible harm: the item went beyond its permitted range, and nobody can show that no unentitled person learned it (BG99 第2条 (b)):`,
            ...beyondRange.map((b) => `- ${when(b.at)} ${b.itemId}: ${b.what}`),
          ]
        : []),
      ...(missing.length ? [`Still missing: ${missing.map((m) => m.itemId).join(', ')}.`] : []),
      ...(harmful
        ? []
        : ['No contact outside the knowledge scope and no movement beyond the permitted range is recorded.']),
      ...(withinApproval.length
        ? ['Within approval (not harm):', ...withinApproval.map((b) => `- ${when(b.at)} ${b.itemId}: ${b.what}`)]
        : []),
      `Exposure set (${exposure.copyTree.length} item(s) incl. copies): ${exposure.persons.length} person(s) held or read them; ` +
        `${exposure.outsideScope.persons.length} of them outside reading scope at the time (listed above).`,
    ].join('\n'),
    facts: { exposure, unentitledReadings, outOfScopeContacts, outsiders, beyondRange, withinApproval, missing },
  };

  // (6) investigation: what is recorded so far
  const treeIds = nodes.map((n) => n.itemId);
  const violations = new Map<string, ReturnType<LedgerCore['readModels']['violations']['get']>>();
  for (const id of treeIds) {
    for (const v of core.readModels.violations.list({ itemId: id, limit: 1000 }).items)
      violations.set(v.violationId, v);
  }
  for (const v of incidentEvents.filter((x) => x.event.type === 'ViolationDetected')) {
    const id = (v.event.data as { violationId: string }).violationId;
    if (!violations.has(id)) violations.set(id, core.readModels.violations.get(id));
  }
  const all = [...violations.values()]
    .filter((v): v is NonNullable<typeof v> => !!v)
    .sort((a, b) => a.position - b.position);
  const openViolations = all
    .filter((v) => v.status === 'open')
    .map((v) => ({
      violationId: v.violationId,
      code: v.code,
      severity: v.severity,
      itemId: v.itemId,
      personId: v.personId,
      at: v.at,
      detail: v.detail,
    }));
  const conclusion = state.incident.investigation
    ? {
        finding: state.incident.investigation.finding,
        responsible: state.incident.investigation.responsible,
        concludedAt: incident.concludedAt,
      }
    : null;
  const investigation: ReportDraft['investigation'] = {
    text: [
      conclusion
        ? `Investigation concluded ${conclusion.concludedAt ? when(conclusion.concludedAt) : ''}: ${conclusion.finding}` +
          `${conclusion.responsible.length ? ` Responsible: ${conclusion.responsible.map(l.person).join(', ')}.` : ''}`
        : `Investigation under way; no conclusion recorded yet (the written result is due by ${when(incident.investigationDueAt)}).`,
      openViolations.length
        ? `Open violations (${openViolations.length}):\n${openViolations.map((v) => `- ${when(v.at)} ${v.code} (${v.severity})${v.itemId ? ` on ${v.itemId}` : ''}${v.personId ? `, ${l.person(v.personId)}` : ''}${v.detail ? `: ${v.detail}` : ''}`).join('\n')}`
        : 'No open violations.',
      ...(all.length > openViolations.length
        ? [`${all.length - openViolations.length} violation(s) already resolved.`]
        : []),
    ].join('\n'),
    facts: {
      conclusion,
      investigationDueAt: incident.investigationDueAt,
      openViolations,
      resolvedViolations: all.length - openViolations.length,
    },
  };

  // (7) remedial measures
  const remedialMeasures: ReportDraft['remedialMeasures'] = {
    text: incident.remedialActions.length
      ? incident.remedialActions.map((a) => `- ${when(a.at)}, ${l.person(a.by)}: ${a.action}`).join('\n')
      : 'No remedial action recorded yet.',
    facts: { actions: incident.remedialActions },
  };

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
    ...fields,
    submission: {
      data: { incidentId, to, ...Object.fromEntries(REPORT_DRAFT_FIELDS.map((f) => [f, fields[f].text])) },
    },
  };
};
