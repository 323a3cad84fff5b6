/** What the seven field modules of the report draft share: lookups of names and places, the event descriptions, times. */
import {
  evolveStream,
  initialStateOf,
  itemView,
  type IncidentState,
  itemStream,
  type DomainEvent,
  type IncidentView,
  type PersonView,
  type PlaceView,
  ms,
} from '@app/custody';
import type { RecordedEvent } from '@app/ledger';
import type { LedgerCore } from '../../ledger-core';
import { type Lang } from '../../i18n/i18n';
import { type NameLookups } from '../../i18n/event-summary';
import { type ExposureSet } from '../exposure';
import { byOccurredAt, verifyStream, type ItemTreeNode } from '../history';
import type { ReportDraft, ReportDraftField } from '../report-draft';

export const outsiderText = (o: { name: string; affiliation?: string | null }): string =>
  `${o.name}${o.affiliation ? ` (${o.affiliation})` : ''}, not a registered person`;

export const when = (iso: string): string => `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export type Lookups = {
  person: (id: string | null | undefined) => string;
  place: (id: string | null | undefined) => string;
  placeView: (id: string | null | undefined) => PlaceView | null;
};

export const lookups = (core: LedgerCore): Lookups => {
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
export const describe = (e: RecordedEvent, l: Lookups): string => {
  // Event data read field by field: the fields named below are the strings of the event type the case names.
  const d = e.data as Record<string, string> & {
    outsider?: { name: string; affiliation?: string | null };
    persons?: string[];
    witnesses?: string[];
    items?: string[];
    couriers?: string[];
  };
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

export const placeOf = (e: RecordedEvent): string | null => {
  const d = e.data as Record<string, unknown>;
  const p = d.placeId ?? d.destination;
  return typeof p === 'string' ? p : null;
};

/** The custodian of an item at instant `at` in the world's order; when that instant ended custody, its last holder. */
export const custodianAt = (node: ItemTreeNode, at: string): string | null => {
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

/** What every field is built from: the incident, its items and copies (with their events), the exposure set. */
export interface DraftContext {
  core: LedgerCore;
  incident: IncidentView;
  state: Extract<IncidentState, { status: 'recorded' }>;
  incidentEvents: ReturnType<typeof verifyStream>;
  nodes: ItemTreeNode[];
  exposure: ExposureSet;
  l: Lookups;
  lang: Lang;
  names: NameLookups;
}

/** One cause of the incident as the discovery field lists it (the responsible field starts from the first). */
export type DraftCause = ReportDraft['discovery']['facts']['causes'][number];
export type { ReportDraftField };
