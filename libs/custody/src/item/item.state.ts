/** The folded state of one item stream, its evolve, and the flat `ItemView` other parts of the domain read. */
import { DEADLINE_KINDS } from '../commands';
import type { DomainEvent } from '../shared/command';
import type { ItemView } from '../shared/views';
import type { Carrier, ItemStatus, Level } from '../shared/vocabulary';
import type { ItemEvent, ItemScope } from './item.events';
import { ms } from '../shared/calendar';

export interface CopyRequestState {
  copies: number;
  requestedBy: string;
  approvedBy: string | null;
  /** When the approval was given (its occurredAt): a copy made before it was made without it (contract §5.1 2). */
  approvedAt?: string;
  /** Set when an approver refused the request (RefuseCopy): it can no longer be approved. */
  refusedBy?: string | null;
  /** Copies recorded under this request so far (an approval is used up by the copies it approves). */
  used: number;
}

export interface CarryOutApprovalState {
  person: string;
  destination: string;
  until: string;
  approvedBy: string;
  used: boolean;
}

export interface ItemRecord {
  status: ItemStatus;
  /** Revision of the last event folded (the stream revision). */
  revision: number;
  itemId: string;
  /**
   * When the item came into the register: the occurredAt of its first event (proposal, receipt or copy). Absent
   * in states folded before it was kept (read as "always there").
   */
  since?: string;
  title: string;
  level: Level;
  basis: string;
  carrier: Carrier;
  scope: ItemScope;
  extendedTo: string[];
  copyAllowed: boolean;
  plannedCopies: number | null;
  /** As proposed (a draft); the issued period is `issuedAt`/`declassifyOn`. */
  periodYears: number | null;
  proposedDeclassifyOn: string | null;
  proposedBy: string | null;
  review: { decision: 'endorse' | 'return'; by: string } | null;
  approvedBy: string | null;
  issuedAt: string | null;
  declassifyOn: string | null;
  declassified: boolean;
  /** When it was declassified (occurredAt), once it is: a copy registered later follows from then (contract §5.1 4). */
  declassifiedAt?: string;
  custodian: string | null;
  placeId: string | null;
  copyOf: string | null;
  /** For a copy: the original at the root of its copy tree, whose decisions it follows (contract §5.1 point 4). */
  original: string | null;
  copyNo: number | null;
  copies: string[];
  /** On an original: every copy in its tree, copies of copies included. */
  descendants: string[];
  /** On an original: the highest copy number given in its tree (copy numbers are unique across it). */
  lastCopyNo: number;
  /** The originating organ when the item was classified elsewhere (null: classified by this unit). */
  classifiedBy: string | null;
  /** 长期: no fixed period, no automatic declassification. */
  longTerm: boolean;
  copyRequests: Record<string, CopyRequestState>;
  /** Per loan id: the approved borrower and due date, the units whose manager+ approved, and whether a loan used it. */
  loanApprovals: Record<string, { borrower: string; dueAt: string; units: string[]; used: boolean }>;
  loan: { loanId: string; lender: string | null; borrower: string; dueAt: string } | null;
  carryOutApprovals: CarryOutApprovalState[];
  /** The current carry-out was made under an approval (the RFID gate lets it pass). */
  carriedOutApproved: boolean;
  destructionApproved: boolean;
  /** The dispatch awaiting a receipt. */
  dispatch: { revision: number; at: string; from: string | null; to: string } | null;
  /** Deadline flags recorded, as `CODE@dueAt` (a deadline fires with at = dueAt), so each flags exactly once. */
  flagged: string[];
  /** The violation id of each deadline flag, under its flagKey (a fact made in time but entered late resolves it). */
  flagIds?: Record<string, string>;
  lastSightedAt: string | null;
  /**
   * The last gate exit not yet followed by the item's return (a gate passage in, a bring-back, a loan return, an
   * archiving); `unapproved` once its CARRY_OUT_UNAPPROVED was recorded beside it (BG99 第2条 (b), contract §5.1 10).
   */
  gateExit: { revision: number; at: string; unapproved: boolean } | null;
}

export type ItemState = { status: 'none' } | ItemRecord;

export const initialItemState = (): ItemState => ({ status: 'none' });

export const isItem = (s: ItemState | undefined | null): s is ItemRecord => !!s && s.status !== 'none';

const blank = (
  itemId: string,
  revision: number,
  since: string,
): Omit<ItemRecord, 'title' | 'level' | 'basis' | 'carrier' | 'scope' | 'status'> => ({
  revision,
  itemId,
  since,
  extendedTo: [],
  copyAllowed: true,
  plannedCopies: null,
  periodYears: null,
  proposedDeclassifyOn: null,
  proposedBy: null,
  review: null,
  approvedBy: null,
  issuedAt: null,
  declassifyOn: null,
  declassified: false,
  custodian: null,
  placeId: null,
  copyOf: null,
  original: null,
  copyNo: null,
  copies: [],
  descendants: [],
  lastCopyNo: 0,
  classifiedBy: null,
  longTerm: false,
  copyRequests: {},
  loanApprovals: {},
  loan: null,
  carryOutApprovals: [],
  carriedOutApproved: false,
  destructionApproved: false,
  dispatch: null,
  flagged: [],
  lastSightedAt: null,
  gateExit: null,
});

/** A declassified item keeps `declassified` as its status through custody moves; destruction and loss still show. */
const statusFor = (s: ItemRecord, wanted: ItemStatus): ItemStatus =>
  s.declassified && wanted !== 'destroyed' && wanted !== 'missing' ? 'declassified' : wanted;

/** The key under which a deadline flag is remembered: its code and due instant (normalised). */
export const flagKey = (code: string, at: string): string => `${code}@${new Date(at).toISOString()}`;

/** The first unused, unexpired carry-out approval for this person (and destination, when given). */
export const activeCarryOutApproval = (s: ItemRecord, at: string, person?: string, destination?: string): number =>
  s.carryOutApprovals.findIndex(
    (a) =>
      !a.used &&
      ms(a.until) >= ms(at) &&
      (person === undefined || a.person === person) &&
      (destination === undefined || a.destination === destination),
  );

const union = (a: string[], b: string[]): string[] => [...a, ...b.filter((x) => !a.includes(x))];

/**
 * The record an event that starts an item (a proposal, a receipt, a copy) makes of `base`, in the words they all
 * share: the members set one by one on the blank record (the same members in the same order as
 * `{ ...base, status, ...described }` made before), since V8 builds a spread followed by members through its slow
 * path, the most of a receipt's fold (issue 16).
 */
const started = (
  base: ReturnType<typeof blank>,
  status: ItemStatus,
  d: {
    title: string;
    level: Level;
    basis: string;
    carrier: Carrier;
    scope: ItemScope;
    copyAllowed: boolean;
    longTerm?: boolean;
  },
): ItemRecord => {
  const r = base as ItemRecord;
  r.status = status;
  r.title = d.title;
  r.level = d.level;
  r.basis = d.basis;
  r.carrier = d.carrier;
  r.scope = d.scope;
  r.copyAllowed = d.copyAllowed;
  r.longTerm = d.longTerm === true;
  return r;
};

/**
 * The record as the next event finds it: a copy at the next revision. Written member by member, not as
 * `{ ...s, revision }`: item states come in many shapes (the optional members, JSON-parsed rows), so V8's spread
 * of this 40-key record takes its slow path, 3–8 µs on every event a rebuild or a command folds — the most of the
 * domain's fold (issue 16) — where a literal of one shape costs a fraction of that. The type makes every required
 * member listed; an optional one added to ItemRecord must be added below too.
 */
const nextRecord = (s: ItemRecord): ItemRecord => {
  const c: ItemRecord = {
    revision: s.revision + 1,
    itemId: s.itemId,
    extendedTo: s.extendedTo,
    copyAllowed: s.copyAllowed,
    plannedCopies: s.plannedCopies,
    periodYears: s.periodYears,
    proposedDeclassifyOn: s.proposedDeclassifyOn,
    proposedBy: s.proposedBy,
    review: s.review,
    approvedBy: s.approvedBy,
    issuedAt: s.issuedAt,
    declassifyOn: s.declassifyOn,
    declassified: s.declassified,
    custodian: s.custodian,
    placeId: s.placeId,
    copyOf: s.copyOf,
    original: s.original,
    copyNo: s.copyNo,
    copies: s.copies,
    descendants: s.descendants,
    lastCopyNo: s.lastCopyNo,
    classifiedBy: s.classifiedBy,
    longTerm: s.longTerm,
    copyRequests: s.copyRequests,
    loanApprovals: s.loanApprovals,
    loan: s.loan,
    carryOutApprovals: s.carryOutApprovals,
    carriedOutApproved: s.carriedOutApproved,
    destructionApproved: s.destructionApproved,
    dispatch: s.dispatch,
    flagged: s.flagged,
    lastSightedAt: s.lastSightedAt,
    gateExit: s.gateExit,
    status: s.status,
    title: s.title,
    level: s.level,
    basis: s.basis,
    carrier: s.carrier,
    scope: s.scope,
  };
  // The optional members last (a record's members are in the order a receipt makes them, these three after).
  if (s.since !== undefined) c.since = s.since;
  if (s.declassifiedAt !== undefined) c.declassifiedAt = s.declassifiedAt;
  if (s.flagIds !== undefined) c.flagIds = s.flagIds;
  return c;
};

export const evolveItem = (state: ItemState, raw: DomainEvent): ItemState => {
  const event = raw as ItemEvent;
  if (event.type === 'ClassificationProposed') {
    const d = event.data;
    const revision = isItem(state) ? state.revision + 1 : 0;
    const r = started(blank(d.itemId, revision, d.at), 'draft', d);
    r.plannedCopies = d.copies;
    r.periodYears = d.periodYears;
    r.proposedDeclassifyOn = d.declassifyOn;
    r.proposedBy = d.proposedBy;
    return r;
  }
  if (event.type === 'ItemReceived') {
    const d = event.data;
    const r = started(blank(d.itemId, isItem(state) ? state.revision + 1 : 0, d.at), 'active', d);
    r.periodYears = d.periodYears;
    r.issuedAt = d.issuedAt;
    r.declassifyOn = d.declassifyOn;
    r.custodian = d.receivedBy;
    r.copyNo = d.copyNo;
    r.placeId = d.placeId ?? null;
    // v1 receipts carry no originator: they were treated as this unit's own classification.
    r.classifiedBy = d.classifiedBy ?? null;
    return r;
  }
  if (event.type === 'CopyRegistered') {
    const d = event.data;
    const r = started(blank(d.itemId, isItem(state) ? state.revision + 1 : 0, d.at), 'active', d);
    r.extendedTo = d.extendedTo;
    r.issuedAt = d.issuedAt;
    r.declassifyOn = d.declassifyOn;
    r.approvedBy = d.approvedBy;
    r.custodian = d.custodian;
    r.placeId = d.placeId;
    r.copyOf = d.copyOf;
    r.original = d.original ?? d.copyOf;
    r.copyNo = d.copyNo;
    r.classifiedBy = d.classifiedBy ?? null;
    return r;
  }
  // Anything else before the item exists changes nothing (a stream always starts with one of the three above).
  if (!isItem(state)) return state;
  const s = nextRecord(state);
  // A destroyed item is locked: later facts are history (and flagged), they do not move it (contract §5).
  if (s.status === 'destroyed' && event.type !== 'ViolationDetected' && event.type !== 'ViolationResolved') return s;
  switch (event.type) {
    case 'ClassificationReviewed':
      return { ...s, review: { decision: event.data.decision, by: event.data.reviewedBy } };
    case 'ItemClassified':
      return {
        ...s,
        status: 'active',
        level: event.data.level,
        approvedBy: event.data.approvedBy,
        custodian: event.data.custodian,
        issuedAt: event.data.issuedAt,
        declassifyOn: event.data.declassifyOn,
      };
    case 'ItemDispatched':
      return {
        ...s,
        status: statusFor(s, 'in-transit'),
        custodian: event.data.custodian,
        placeId: null,
        dispatch: { revision: s.revision, at: event.data.at, from: event.data.from, to: event.data.to },
      };
    case 'ReceiptAcknowledged':
      return { ...s, status: statusFor(s, 'active'), custodian: event.data.by, dispatch: null };
    case 'ItemHandedOver':
      // S1 (七); S2 第30条 / contract §5.1 point 6: an item out on loan stays with its borrower; the new holder of
      // record is the one it is returned to.
      if (event.data.onLoanTo && s.loan) return { ...s, loan: { ...s.loan, lender: event.data.to } };
      return { ...s, custodian: event.data.to, status: s.status === 'missing' ? statusFor(s, 'active') : s.status };
    case 'GatePassed':
      return {
        ...s,
        gateExit:
          event.data.direction === 'out' ? { revision: s.revision, at: event.data.at, unapproved: false } : null,
      };
    case 'ItemRead':
      return s;
    case 'ViolationResolved': {
      // A resolved deadline flag is no longer there to be answered (flagIds keeps the open ones).
      const id = event.data.violationId;
      if (!s.flagIds || !Object.values(s.flagIds).includes(id)) return s;
      return { ...s, flagIds: Object.fromEntries(Object.entries(s.flagIds).filter(([, v]) => v !== id)) };
    }
    case 'ScopeExtended':
      return { ...s, extendedTo: union(s.extendedTo, event.data.persons) };
    case 'CopyRequested':
      return {
        ...s,
        copyRequests: {
          ...s.copyRequests,
          [event.data.requestId]: {
            copies: event.data.copies,
            requestedBy: event.data.requestedBy,
            approvedBy: null,
            used: 0,
          },
        },
      };
    case 'CopyRefused': {
      const r = s.copyRequests[event.data.requestId];
      return r
        ? {
            ...s,
            copyRequests: { ...s.copyRequests, [event.data.requestId]: { ...r, refusedBy: event.data.refusedBy } },
          }
        : s;
    }
    case 'CopyApproved': {
      const r = s.copyRequests[event.data.requestId];
      return r
        ? {
            ...s,
            copyRequests: {
              ...s.copyRequests,
              [event.data.requestId]: {
                ...r,
                approvedBy: event.data.approvedBy,
                approvedAt: event.data.at,
                copies: event.data.copies ?? r.copies,
              },
            },
          }
        : s;
    }
    case 'ItemCopied': {
      const d = event.data;
      const descendants = union(s.descendants, [d.copyItemId]);
      // A copy of a copy, written on the original: it joins the tree, not the original's own copies.
      if (d.via) return { ...s, descendants, lastCopyNo: Math.max(s.lastCopyNo, d.copyNo ?? 0) };
      const rid = d.requestId;
      const r = rid ? s.copyRequests[rid] : undefined;
      const copies = union(s.copies, [d.copyItemId]);
      return {
        ...s,
        copies,
        descendants,
        lastCopyNo: Math.max(s.lastCopyNo, d.copyNo ?? copies.length),
        copyRequests: r && rid ? { ...s.copyRequests, [rid]: { ...r, used: r.used + 1 } } : s.copyRequests,
      };
    }
    case 'LoanApproved': {
      const prev = s.loanApprovals[event.data.loanId];
      // An approval a loan has used up is gone: a new approval under the same id starts afresh.
      const same = prev && !prev.used && prev.borrower === event.data.borrower;
      return {
        ...s,
        loanApprovals: {
          ...s.loanApprovals,
          [event.data.loanId]: {
            borrower: event.data.borrower,
            dueAt: event.data.dueAt,
            units: union(same ? prev.units : [], event.data.covers),
            used: false,
          },
        },
      };
    }
    case 'ItemLent': {
      const approval = s.loanApprovals[event.data.loanId];
      return {
        ...s,
        // contract §5.1 point 6: an approval is used up by the loan it approves.
        loanApprovals:
          approval && event.data.approved
            ? { ...s.loanApprovals, [event.data.loanId]: { ...approval, used: true } }
            : s.loanApprovals,
        status: statusFor(s, 'on-loan'),
        custodian: event.data.borrower,
        loan: {
          loanId: event.data.loanId,
          lender: event.data.lender,
          borrower: event.data.borrower,
          dueAt: event.data.dueAt,
        },
      };
    }
    case 'ItemReturned': {
      // A return of a loan the ledger never recorded puts the item with whoever took it back; a recorded loan under
      // another id stays open (and falls due) until its own return.
      const loan = s.loan && s.loan.loanId !== event.data.loanId ? s.loan : null;
      return { ...s, status: statusFor(s, 'active'), custodian: event.data.returnedTo, loan, gateExit: null };
    }
    case 'CarryOutApproved':
      return {
        ...s,
        carryOutApprovals: [
          ...s.carryOutApprovals,
          {
            person: event.data.person,
            destination: event.data.destination,
            until: event.data.until,
            approvedBy: event.data.approvedBy,
            used: false,
          },
        ],
      };
    case 'ItemCarriedOut': {
      const i = event.data.approved
        ? activeCarryOutApproval(s, event.data.at, event.data.person, event.data.destination)
        : -1;
      return {
        ...s,
        status: statusFor(s, 'carried-out'),
        custodian: event.data.person,
        placeId: event.data.destination,
        carriedOutApproved: event.data.approved,
        carryOutApprovals: s.carryOutApprovals.map((a, j) => (j === i ? { ...a, used: true } : a)),
      };
    }
    case 'ItemBroughtBack':
      return {
        ...s,
        status: statusFor(s, 'active'),
        custodian: event.data.person,
        placeId: event.data.placeId ?? s.placeId,
        carriedOutApproved: false,
        gateExit: null,
      };
    case 'ItemArchived':
      return {
        ...s,
        status: statusFor(s, 'archived'),
        custodian: event.data.keeper,
        placeId: event.data.placeId,
        gateExit: null,
      };
    case 'ItemMissing':
    case 'ItemLost':
      return { ...s, status: 'missing', custodian: null };
    case 'DestructionApproved':
      return { ...s, destructionApproved: true };
    case 'ItemDestroyed':
      return {
        ...s,
        status: 'destroyed',
        custodian: null,
        placeId: event.data.placeId,
        destructionApproved: false,
        loan: null,
        dispatch: null,
        gateExit: null,
      };
    case 'SecrecyPeriodExtended':
      return { ...s, declassifyOn: event.data.newDeclassifyOn, longTerm: false };
    case 'OriginatorNoticeRecorded':
      // The notice is the record; its consequence follows as the usual event.
      return s;
    case 'ItemDeclassified': {
      const next = { ...s, declassified: true, declassifiedAt: s.declassifiedAt ?? event.data.at };
      return { ...next, status: statusFor(next, s.status) };
    }
    case 'LevelChanged':
      return { ...s, level: event.data.to };
    case 'ItemSighted':
      return { ...s, lastSightedAt: event.data.at };
    case 'ViolationDetected': {
      // An unapproved exit is the CARRY_OUT_UNAPPROVED written right after its GatePassed (one write).
      const gateExit =
        s.gateExit && event.data.code === 'CARRY_OUT_UNAPPROVED' && s.gateExit.revision === s.revision - 1
          ? { ...s.gateExit, unapproved: true }
          : event.data.code === 'ITEM_NOT_BROUGHT_BACK'
            ? null
            : s.gateExit;
      // Only deadline flags are remembered: they are the ones a FireDeadline must not repeat.
      return (DEADLINE_KINDS as readonly string[]).includes(event.data.code)
        ? {
            ...s,
            gateExit,
            flagged: [...s.flagged, flagKey(event.data.code, event.data.at)],
            flagIds: { ...s.flagIds, [flagKey(event.data.code, event.data.at)]: event.data.violationId },
          }
        : { ...s, gateExit };
    }
    default: {
      const unknownEvent: never = event;
      // An event type this version does not know is history, never a crash (STYLE §6).
      void unknownEvent;
      return s;
    }
  }
};

export const itemView = (state: ItemState): ItemView | null =>
  !isItem(state)
    ? null
    : {
        itemId: state.itemId,
        title: state.title,
        level: state.level,
        status: state.status,
        custodian: state.custodian,
        placeId: state.placeId,
        carrier: state.carrier,
        basis: state.basis,
        scope: { persons: [...state.scope.persons], ...(state.scope.ranks ? { ranks: [...state.scope.ranks] } : {}) },
        extendedTo: [...state.extendedTo],
        issuedAt: state.issuedAt,
        declassifyOn: state.declassifyOn,
        copyOf: state.copyOf,
        original: state.original,
        copyNo: state.copyNo,
        copies: [...state.copies],
        proposedBy: state.proposedBy,
        approvedBy: state.approvedBy,
        classifiedBy: state.classifiedBy,
        longTerm: state.longTerm,
        lastSightedAt: state.lastSightedAt,
      };
