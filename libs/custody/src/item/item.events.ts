/**
 * Events of the item stream (`item-<itemId>`). Each carries every id and instant evolve and the read models need,
 * because evolve sees only `{type, data}`.
 */
import type { DomainEvent } from '../shared/command';
import type { ViolationDetected, ViolationResolved } from '../shared/violation';
import type { Carrier, Channel, Level, PlaceKind, Rank } from '../shared/vocabulary';

export interface ItemScope {
  persons: string[];
  ranks?: Rank[];
}

export type ClassificationProposed = DomainEvent<
  'ClassificationProposed',
  {
    itemId: string;
    title: string;
    level: Level;
    periodYears: number | null;
    declassifyOn: string | null;
    basis: string;
    carrier: Carrier;
    scope: ItemScope;
    copies: number | null;
    copyAllowed: boolean;
    proposedBy: string;
    /** 长期 (contract §5.1 point 5): no fixed period. Absent on events written before v2. */
    longTerm?: boolean;
    at: string;
  }
>;
export type ClassificationReviewed = DomainEvent<
  'ClassificationReviewed',
  {
    itemId: string;
    decision: 'endorse' | 'return';
    note: string | null;
    reviewedBy: string;
    at: string;
  }
>;
export type ItemClassified = DomainEvent<
  'ItemClassified',
  {
    itemId: string;
    level: Level;
    approvedBy: string;
    custodian: string;
    issuedAt: string;
    /** null for a 长期 item (no automatic declassification). */
    declassifyOn: string | null;
    at: string;
  }
>;
export type ItemReceived = DomainEvent<
  'ItemReceived',
  {
    itemId: string;
    title: string;
    level: Level;
    periodYears: number | null;
    basis: string;
    carrier: Carrier;
    sender: string;
    receivedBy: string;
    scope: ItemScope;
    copyNo: number | null;
    copyAllowed: boolean;
    /** The issue date the period counts from: the marked 制发日 when given, else the receipt instant. */
    issuedAt: string;
    /** null for a 长期 item. */
    declassifyOn: string | null;
    /** The originating organ (定密机关), default the sender: only it may declassify, extend or re-level (v2). */
    classifiedBy?: string;
    longTerm?: boolean;
    placeId?: string | null;
    at: string;
  }
>;
export type ItemDispatched = DomainEvent<
  'ItemDispatched',
  {
    itemId: string;
    from: string | null;
    to: string;
    channel: Channel;
    couriers: string[];
    approvalRef: string | null;
    /** Present when the dispatch names the person who approved it (an encrypted fax). */
    approvedBy?: string;
    /** Who holds it in transit: the first courier, else nobody (post, fax…). */
    custodian: string | null;
    by: string;
    at: string;
  }
>;
export type ReceiptAcknowledged = DomainEvent<
  'ReceiptAcknowledged',
  {
    itemId: string;
    by: string;
    dispatchRevision: number | null;
    at: string;
  }
>;
export type ItemHandedOver = DomainEvent<
  'ItemHandedOver',
  {
    itemId: string;
    handoverId: string;
    from: string;
    to: string;
    itemized: boolean;
    signedByBoth: boolean;
    supervisor: string | null;
    /** The item was out on loan: custody stays with this borrower, the right to have it back passes to `to`. */
    onLoanTo?: string;
    at: string;
  }
>;
export type ItemRead = DomainEvent<
  'ItemRead',
  {
    itemId: string;
    /** The registered reader; null when the reader was an outsider. */
    reader: string | null;
    /** Someone not registered (a waiter, a visitor): contract §5.1 point 9. */
    outsider?: { name: string; affiliation: string | null };
    placeId: string;
    placeKind: PlaceKind;
    /** Readings count only in a reading room or an office (contract §5). */
    counted: boolean;
    at: string;
  }
>;
/**
 * Why a copy's level, period, scope or status changed (contract §5.1 point 4: copies follow their original): the
 * original whose decision it follows. Absent on the original's own event.
 */
export interface FollowsOriginal {
  followsOriginal?: string;
  /** The originating organ's notice the change applies (contract §5.1 point 5). */
  noticeRef?: string;
}

export type ScopeExtended = DomainEvent<
  'ScopeExtended',
  { itemId: string; persons: string[]; approvedBy: string; at: string } & FollowsOriginal
>;
export type CopyRequested = DomainEvent<
  'CopyRequested',
  { itemId: string; requestId: string; copies: number; requestedBy: string; at: string }
>;
/** A copy request refused by an approver: no copy may be made under it. */
export type CopyRefused = DomainEvent<
  'CopyRefused',
  { itemId: string; requestId: string; refusedBy: string; reason: string; at: string }
>;
/** `copies`, when present, is the number approved (fewer than requested); otherwise the request's number. */
export type CopyApproved = DomainEvent<
  'CopyApproved',
  { itemId: string; requestId: string; approvedBy: string; at: string; copies?: number }
>;
/**
 * On the copied item. A copy of a copy also writes it on the original (`via` = the copy it was made from), so the
 * original knows its whole copy tree and numbers copies uniquely across it (contract §5.1 point 4).
 */
export type ItemCopied = DomainEvent<
  'ItemCopied',
  {
    itemId: string;
    copyItemId: string;
    requestId: string | null;
    by: string;
    at: string;
    copyNo?: number;
    via?: string;
  }
>;
export type CopyRegistered = DomainEvent<
  'CopyRegistered',
  {
    itemId: string;
    copyOf: string;
    /** The original at the root of the copy tree (the copy it follows). Absent on events written before v2. */
    original?: string;
    classifiedBy?: string | null;
    longTerm?: boolean;
    title: string;
    level: Level;
    basis: string;
    carrier: Carrier;
    scope: ItemScope;
    extendedTo: string[];
    issuedAt: string | null;
    declassifyOn: string | null;
    copyNo: number;
    copyAllowed: boolean;
    approvedBy: string | null;
    custodian: string;
    placeId: string | null;
    at: string;
  }
>;
export type LoanApproved = DomainEvent<
  'LoanApproved',
  {
    itemId: string;
    loanId: string;
    borrower: string;
    dueAt: string;
    approvedBy: string;
    unit: string;
    /** The units this approval speaks for (its own; every unit for an executive). */
    covers: string[];
    at: string;
  }
>;
export type ItemLent = DomainEvent<
  'ItemLent',
  {
    itemId: string;
    loanId: string;
    lender: string | null;
    borrower: string;
    dueAt: string;
    approved: boolean;
    at: string;
  }
>;
/** `unrecorded`: a return of a loan the ledger never recorded (contract §5.1 point 6). */
export type ItemReturned = DomainEvent<
  'ItemReturned',
  { itemId: string; loanId: string; returnedTo: string | null; unrecorded?: boolean; at: string }
>;
export type CarryOutApproved = DomainEvent<
  'CarryOutApproved',
  {
    itemId: string;
    person: string;
    destination: string;
    until: string;
    approvedBy: string;
    at: string;
  }
>;
export type ItemCarriedOut = DomainEvent<
  'ItemCarriedOut',
  {
    itemId: string;
    person: string;
    destination: string;
    destinationKind: PlaceKind;
    approved: boolean;
    at: string;
  }
>;
/** `from`: where it had been carried, when the record says so. */
export type ItemBroughtBack = DomainEvent<
  'ItemBroughtBack',
  { itemId: string; person: string; placeId: string | null; from?: string; at: string }
>;
export type ItemArchived = DomainEvent<'ItemArchived', { itemId: string; placeId: string; keeper: string; at: string }>;
export type GatePassed = DomainEvent<
  'GatePassed',
  { itemId: string; gate: string; direction: 'out' | 'in'; at: string }
>;
export type ItemMissing = DomainEvent<
  'ItemMissing',
  { itemId: string; inventoryId: string; at: string; incidentId?: string }
>;
export type ItemLost = DomainEvent<
  'ItemLost',
  {
    itemId: string;
    discoveredBy: string;
    circumstances: string;
    incidentId: string | null;
    at: string;
  }
>;
export type DestructionApproved = DomainEvent<
  'DestructionApproved',
  { itemId: string; approvedBy: string; at: string }
>;
export type ItemDestroyed = DomainEvent<
  'ItemDestroyed',
  {
    itemId: string;
    method: string;
    placeId: string;
    witnesses: string[];
    destroyedBy: string;
    approved: boolean;
    at: string;
  }
>;
export type SecrecyPeriodExtended = DomainEvent<
  'SecrecyPeriodExtended',
  {
    itemId: string;
    previousDeclassifyOn: string | null;
    newDeclassifyOn: string;
    approvedBy: string;
    at: string;
  } & FollowsOriginal
>;
export type ItemDeclassified = DomainEvent<
  'ItemDeclassified',
  {
    itemId: string;
    reason: string;
    automatic: boolean;
    by: string | null;
    at: string;
  } & FollowsOriginal
>;
export type LevelChanged = DomainEvent<
  'LevelChanged',
  {
    itemId: string;
    from: Level;
    to: Level;
    reason: string | null;
    approvedBy: string;
    at: string;
  } & FollowsOriginal
>;
/**
 * The originating organ's notice about an item classified elsewhere (contract §5.1 point 5; S2 第6篇: 不得自行决定),
 * recorded as a fact. The change itself follows as the usual event (ItemDeclassified, SecrecyPeriodExtended,
 * LevelChanged, with `noticeRef`) on the item and on every copy.
 */
export type OriginatorNoticeRecorded = DomainEvent<
  'OriginatorNoticeRecorded',
  {
    itemId: string;
    decision: 'declassified' | 'extended' | 'level-changed';
    newDeclassifyOn: string | null;
    level: Level | null;
    noticeRef: string;
    classifiedBy: string | null;
    recordedBy: string;
    at: string;
  }
>;
/** Written by an inventory on the item stream, if the inventory module chooses to (tolerated here). */
export type ItemSightedOnItem = DomainEvent<
  'ItemSighted',
  { itemId: string; inventoryId?: string; placeId?: string; at: string }
>;

export type ItemEvent =
  | ClassificationProposed
  | ClassificationReviewed
  | ItemClassified
  | ItemReceived
  | ItemDispatched
  | ReceiptAcknowledged
  | ItemHandedOver
  | ItemRead
  | ScopeExtended
  | CopyRequested
  | CopyApproved
  | CopyRefused
  | ItemCopied
  | CopyRegistered
  | LoanApproved
  | ItemLent
  | ItemReturned
  | CarryOutApproved
  | ItemCarriedOut
  | ItemBroughtBack
  | ItemArchived
  | GatePassed
  | ItemMissing
  | ItemLost
  | DestructionApproved
  | ItemDestroyed
  | SecrecyPeriodExtended
  | ItemDeclassified
  | LevelChanged
  | OriginatorNoticeRecorded
  | ItemSightedOnItem
  | ViolationDetected
  | ViolationResolved;

export const ITEM_EVENT_TYPES = [
  'ClassificationProposed',
  'ClassificationReviewed',
  'ItemClassified',
  'ItemReceived',
  'ItemDispatched',
  'ReceiptAcknowledged',
  'ItemHandedOver',
  'ItemRead',
  'ScopeExtended',
  'CopyRequested',
  'CopyApproved',
  'CopyRefused',
  'ItemCopied',
  'CopyRegistered',
  'LoanApproved',
  'ItemLent',
  'ItemReturned',
  'CarryOutApproved',
  'ItemCarriedOut',
  'ItemBroughtBack',
  'ItemArchived',
  'GatePassed',
  'ItemMissing',
  'ItemLost',
  'DestructionApproved',
  'ItemDestroyed',
  'SecrecyPeriodExtended',
  'ItemDeclassified',
  'LevelChanged',
  'OriginatorNoticeRecorded',
  'ItemSighted',
  'ViolationDetected',
  'ViolationResolved',
] as const satisfies readonly ItemEvent['type'][];
