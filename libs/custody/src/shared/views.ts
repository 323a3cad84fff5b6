/**
 * Flat views of stream states, for read models and rules shared across deciders (reading scope).
 * Produced by `personView`, `placeView`, `itemView`, `incidentView` from folded states.
 */
import type { Clearance, ItemStatus, Level, PlaceKind, Rank, Carrier } from './vocabulary';
import type { IncidentKind } from './command';

export interface PersonView {
  personId: string;
  name: string;
  rank: Rank;
  clearance: Clearance;
  unit: string;
  probationUntil: string | null;
  departed: boolean;
  departedAt: string | null;
  decontaminationUntil: string | null;
}

export interface PlaceView {
  placeId: string;
  name: string;
  kind: PlaceKind;
}

export interface ItemView {
  itemId: string;
  title: string;
  level: Level;
  status: ItemStatus;
  /** Who holds it now; null when nobody does (missing, destroyed, in transit by post). */
  custodian: string | null;
  placeId: string | null;
  carrier: Carrier;
  basis: string;
  scope: { persons: string[]; ranks?: Rank[] };
  /** Persons added by approved scope extensions. */
  extendedTo: string[];
  /** Issue date the period counts from (approval or receipt instant); null while a draft. */
  issuedAt: string | null;
  /** End of the secrecy period. */
  declassifyOn: string | null;
  copyOf: string | null;
  /** For a copy: the original at the root of its copy tree, whose level, period, scope and status it follows. */
  original?: string | null;
  copyNo: number | null;
  /** Copies made of this item (their item ids). */
  copies: string[];
  proposedBy: string | null;
  approvedBy: string | null;
  /** The originating organ of an item classified elsewhere (null: this unit classified it). */
  classifiedBy?: string | null;
  /** 长期: no fixed period (declassifyOn is null). */
  longTerm?: boolean;
  /** Last time an inventory sighted it (for TS_INVENTORY_OVERDUE). */
  lastSightedAt: string | null;
}

export interface IncidentView {
  incidentId: string;
  kind: IncidentKind;
  itemIds: string[];
  /** When the ledger learned of it: the recording of the fact that revealed it (contract §5.1 1). */
  discoveredAt: string;
  discoveredBy: string | null;
  /** When it happened: the earliest instant among its causes (contract §5.1 1). */
  occurredAt: string;
  description: string;
  /** discoveredAt + 24 h (BG99; 实施条例 2024 第61条). */
  reportDueAt: string;
  /** discoveredAt + 3 months (BG99 第5条). */
  investigationDueAt: string;
  reportedAt: string | null;
  report: Record<string, unknown> | null;
  concludedAt: string | null;
  closedAt: string | null;
  /** The incident it was merged into (MergeIncident): its causes are there and its own deadlines ended. */
  mergedInto: string | null;
  mergedAt: string | null;
  status: 'open' | 'reported' | 'concluded' | 'closed' | 'merged';
  causes: { code: string; itemId: string | null; violationId: string | null; at: string }[];
  remedialActions: { action: string; at: string; by: string }[];
}
