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
    declassifyOn: string;
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
    issuedAt: string;
    declassifyOn: string;
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
    at: string;
  }
>;
export type ItemRead = DomainEvent<
  'ItemRead',
  {
    itemId: string;
    reader: string;
    placeId: string;
    placeKind: PlaceKind;
    /** Readings count only in a reading room or an office (DESIGN §5). */
    counted: boolean;
    at: string;
  }
>;
export type ScopeExtended = DomainEvent<
  'ScopeExtended',
  { itemId: string; persons: string[]; approvedBy: string; at: string }
>;
export type CopyRequested = DomainEvent<
  'CopyRequested',
  { itemId: string; requestId: string; copies: number; requestedBy: string; at: string }
>;
/** `copies`, when present, is the number approved (fewer than requested); otherwise the request's number. */
export type CopyApproved = DomainEvent<
  'CopyApproved',
  { itemId: string; requestId: string; approvedBy: string; at: string; copies?: number }
>;
export type ItemCopied = DomainEvent<
  'ItemCopied',
  { itemId: string; copyItemId: string; requestId: string | null; by: string; at: string }
>;
export type CopyRegistered = DomainEvent<
  'CopyRegistered',
  {
    itemId: string;
    copyOf: string;
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
export type ItemReturned = DomainEvent<
  'ItemReturned',
  { itemId: string; loanId: string; returnedTo: string | null; at: string }
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
  }
>;
export type ItemDeclassified = DomainEvent<
  'ItemDeclassified',
  {
    itemId: string;
    reason: string;
    automatic: boolean;
    by: string | null;
    at: string;
  }
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
  'ItemSighted',
  'ViolationDetected',
  'ViolationResolved',
] as const satisfies readonly ItemEvent['type'][];
