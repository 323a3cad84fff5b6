/**
 * Every command of contract §5 with its data. Field names are the public contract: the API's DTOs, the scenario files
 * and the deciders all use these. `actor` and `at` travel on the command envelope, not in `data`.
 */
import type { Command, InventoryScope, IncidentKind } from './shared/command';
import type { Carrier, Channel, Clearance, Level, PlaceKind, Rank } from './shared/vocabulary';

export interface Scope {
  persons: string[];
  /** Ranks the scope admits; when absent the level's default (S2 第9条) applies. */
  ranks?: Rank[];
}

/** Exactly one of `periodYears`, `declassifyOn` (ISO date-time) or `longTerm: true` (长期) is given. */
export interface Period {
  periodYears?: number;
  declassifyOn?: string;
  /** 长期 (contract §5.1 point 5): no fixed period, so no automatic declassification. */
  longTerm?: boolean;
}

/** Someone who is not a registered person (a waiter, a visitor, a journalist): contract §5.1 point 9. */
export interface Outsider {
  name: string;
  affiliation?: string;
}

/** What an originating organ's notice decided about an item it classified (contract §5.1 point 5). */
export type OriginatorDecision = 'declassified' | 'extended' | 'level-changed';

export interface CommandData {
  RegisterPerson: {
    personId: string;
    name: string;
    rank: Rank;
    clearance: Clearance;
    unit: string;
    probationUntil?: string;
  };
  ChangeClearance: { personId: string; clearance: Clearance };
  EndProbation: { personId: string };
  RecordDeparture: { personId: string; decontaminationUntil: string };
  RegisterPlace: { placeId: string; name: string; kind: PlaceKind };
  ProposeClassification: Period & {
    itemId: string;
    title: string;
    level: Level;
    basis: string;
    carrier: Carrier;
    scope: Scope;
    copies?: number;
    copyAllowed?: boolean;
  };
  ReviewClassification: { itemId: string; decision: 'endorse' | 'return'; note?: string };
  ApproveClassification: { itemId: string };
  RegisterReceivedItem: Period & {
    itemId: string;
    title: string;
    level: Level;
    basis: string;
    carrier: Carrier;
    sender: string;
    receivedBy: string;
    scope: Scope;
    copyNo?: number;
    copyAllowed?: boolean;
    /** 制发日, the marked issue date the period counts from (S1); absent: the receipt instant. */
    issuedOn?: string;
    /** The originating organ (定密机关); by default the sender. */
    classifiedBy?: string;
    /** Where it is kept, so place-scoped inventories expect it (contract §5.1 point 13). */
    placeId?: string;
  };
  /** `couriers` may be left out for post and electronic channels (none carried it). */
  DispatchItem: {
    itemId: string;
    to: string;
    channel: Channel;
    couriers?: string[];
    /** The recorded approval of an `encrypted-fax` dispatch: its reference… */
    approvalRef?: string;
    /** …or the registered person who gave it. */
    approvedBy?: string;
  };
  AcknowledgeReceipt: { itemId: string; by: string };
  HandOver: {
    handoverId: string;
    from: string;
    to: string;
    items: string[];
    itemized: boolean;
    signedByBoth: boolean;
    supervisor?: string;
  };
  /** Exactly one of `reader` (a registered person) or `outsider` (contract §5.1 point 9). */
  RecordReading: { itemId: string; reader?: string; outsider?: Outsider; placeId: string };
  ExtendScope: { itemId: string; persons: string[] };
  RequestCopy: { itemId: string; requestId: string; copies: number };
  /** `copies` approves fewer than requested; by default the request's number. */
  ApproveCopy: { itemId: string; requestId: string; copies?: number };
  /** The approver says no (002 第21条: a copy needs the approval; without it there is none). */
  RefuseCopy: { itemId: string; requestId: string; reason: string };
  RecordCopy: { itemId: string; copyItemId: string; requestId?: string };
  ApproveLoan: { itemId: string; loanId: string; borrower: string; dueAt: string };
  RecordLoan: { itemId: string; loanId: string; borrower: string; dueAt: string };
  /** contract §5 lists RecordLoan and RecordReturn together: `borrower` and `dueAt` may be repeated on a return. */
  RecordReturn: {
    itemId: string;
    loanId: string;
    borrower?: string;
    dueAt?: string;
    /** Who took it back, for a loan the ledger never recorded (default: the actor's person; contract §5.1 point 6). */
    receivedBy?: string;
  };
  ApproveCarryOut: { itemId: string; person: string; destination: string; until: string };
  RecordCarryOut: { itemId: string; person: string; destination: string };
  /** `placeId`: where it is back to; `destination`: where it had been carried (as on RecordCarryOut). */
  RecordBringBack: { itemId: string; person: string; placeId?: string; destination?: string };
  ArchiveItem: { itemId: string; placeId: string };
  RecordGatePassage: { itemId: string; gate: string; direction: 'out' | 'in' };
  OpenInventory: { inventoryId: string; scope: InventoryScope };
  RecordSighting: { inventoryId: string; itemId: string; placeId: string };
  CloseInventory: { inventoryId: string };
  ApproveDestruction: { itemId: string };
  RecordDestruction: { itemId: string; method: string; placeId: string; witnesses: string[] };
  ExtendSecrecyPeriod: { itemId: string; newDeclassifyOn: string };
  DeclassifyItem: { itemId: string; reason?: string };
  ChangeLevel: { itemId: string; level: Level; reason?: string };
  RecordLoss: { itemId: string; discoveredBy: string; circumstances: string };
  /** The originating organ's notice about an item classified elsewhere, recorded as a fact (contract §5.1 point 5). */
  RecordOriginatorNotice: {
    itemId: string;
    decision: OriginatorDecision;
    /** For `extended`: the new end of the period. */
    newDeclassifyOn?: string;
    /** For `level-changed`: the new level. */
    level?: Level;
    /** The notice's own reference (文号). */
    noticeRef: string;
  };
  OpenIncident: {
    incidentId: string;
    kind: IncidentKind;
    itemIds: string[];
    discoveredAt: string;
    discoveredBy: string;
    description: string;
  };
  RecordRemedialAction: { incidentId: string; action: string };
  /** contract §5.1 3: the responder found `incidentId` and `into` are one event; `incidentId`'s causes join `into`. */
  MergeIncident: { incidentId: string; into: string };
  SubmitIncidentReport: {
    incidentId: string;
    to: string;
    content: string;
    discovery: string;
    responsible: string;
    course: string;
    harm: string;
    investigation: string;
    remedialMeasures: string;
  };
  ConcludeInvestigation: { incidentId: string; finding: string; responsible: string[] };
  /** contract §5 lists ConcludeInvestigation and CloseIncident together: a close may carry the finding too. */
  CloseIncident: { incidentId: string; note?: string; finding?: string; responsible?: string[] };
  ResolveViolation: { violationId: string; note: string };
  /** Internal: issued by the deadline scheduler at the due instant, never by the public API. */
  FireDeadline: { deadline: Deadline };
}

export type CommandName = keyof CommandData;
export type CustodyCommand = { [K in CommandName]: Command<K, CommandData[K]> }[CommandName];
export type CommandOf<K extends CommandName> = Command<K, CommandData[K]>;

export const DEADLINE_KINDS = [
  'RECEIPT_MISSING',
  'LOAN_OVERDUE',
  'LEAK_REPORT_LATE',
  'INVESTIGATION_REPORT_LATE',
  'DECLASSIFY',
  'TS_INVENTORY_OVERDUE',
  'ITEM_NOT_BROUGHT_BACK',
] as const;
export type DeadlineKind = (typeof DEADLINE_KINDS)[number];

/**
 * The deadlines that fire at their due instant; every other one fires only once its instant has passed. An obligation
 * to act within a window is met by an act at its last instant: the report is late only "past discoveredAt + 24 h"
 * (contract §5; TL2024 实施条例 第61条 发现后24小时内), the receipt missing when none arrives "within 48 h", the
 * investigation's result late past 3 months (BG99 第5条), a loan overdue once its `dueAt` has passed. A secrecy period
 * instead ends at its instant (BMF 第24条 保密期限已满的，自行解密), so the declassification fires at it.
 */
export const DEADLINES_DUE_AT_INSTANT: readonly DeadlineKind[] = ['DECLASSIFY'];

/**
 * A deadline derived from the store (never held only in memory). `key` is stable for one obligation
 * (e.g. `RECEIPT_MISSING:item-doc-1:3` for the dispatch at revision 3) so firing it twice appends nothing.
 */
export interface Deadline {
  key: string;
  kind: DeadlineKind;
  /** The stream the flag is decided on. */
  streamId: string;
  dueAt: string;
  itemId?: string;
  incidentId?: string;
  /** Kind-specific reference: loanId, dispatch revision, the expiry being enforced… */
  ref?: string;
}
