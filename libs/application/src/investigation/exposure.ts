/**
 * The exposure set (contract §1 responder, §5 report draft field 5 "harm"): everyone who held or read an item or any
 * of its copies (recursively), when, where and how, and whether they were within reading scope at that moment —
 * the person and the item each folded to the event's occurredAt, so a fact entered late is judged by the world as
 * it was when it happened. Plus the copy tree with each copy's current custodian and status.
 */
import {
  evolveStream,
  initialStateOf,
  itemView,
  readingCheck,
  itemStream,
  type DomainEvent,
  type ItemView,
  type PlaceView,
  type PlaceKind,
} from '@app/custody';
import type { LedgerCore } from '../ledger-core';
import {
  byJudgement,
  loadItemTree,
  PersonTimelines,
  readPersonStreams,
  type ItemTreeNode,
  type VerifiedEvent,
} from './history';

/** How a person came to hold or read the item. */
export type ExposureHow =
  | 'receipt'
  | 'classification'
  | 'copy'
  | 'copying'
  | 'dispatch'
  | 'receipt-acknowledged'
  | 'handover'
  | 'loan'
  | 'return'
  | 'carry-out'
  | 'bring-back'
  | 'archive'
  | 'destruction'
  | 'destruction-witness'
  | 'reading';

export interface ExposureEntry {
  /** The person's id; for an outsider (not a registered person), `outsider:<name>`. */
  personId: string;
  /** Name as registered then (an outsider's name as recorded); null for a principal that is not a registered person. */
  name: string | null;
  /** Someone not registered who read the item (contract §5.1 point 9): always outside reading scope. */
  outsider?: { name: string; affiliation: string | null };
  itemId: string;
  /** The item it is a copy of, when it is one. */
  copyOf: string | null;
  kind: 'custody' | 'reading';
  how: ExposureHow;
  eventType: string;
  eventId: string;
  occurredAt: string;
  recordedAt: string;
  placeId: string | null;
  placeName: string | null;
  placeKind: PlaceKind | null;
  /** For readings: it counts only in a reading room or an office (contract §5). */
  counted?: boolean;
  /** readingCheck(person then, item then). */
  withinScope: boolean;
  /** Why not, when not: not-in-scope, clearance, departed, destroyed, or unregistered (not a registered person then). */
  reason: string | null;
  /** Codes of the violations recorded beside the fact about this person (or about nobody in particular). */
  violations: string[];
}

export interface ExposedPerson {
  personId: string;
  name: string | null;
  /** Set for an outsider: listed by name (contract §5.1 point 9). */
  outsider?: { name: string; affiliation: string | null };
  firstAt: string;
  lastAt: string;
  items: string[];
  hows: ExposureHow[];
  readings: number;
  custody: number;
  /** Entries outside reading scope. */
  outsideScope: number;
  reasons: string[];
}

export interface CopyTreeNode {
  itemId: string;
  copyOf: string | null;
  depth: number;
  copyNo: number | null;
  title: string | null;
  level: string | null;
  status: string | null;
  custodian: string | null;
  placeId: string | null;
}

export interface ExposureSet {
  itemIds: string[];
  entries: ExposureEntry[];
  persons: ExposedPerson[];
  copyTree: CopyTreeNode[];
  /** Entries and persons outside reading scope (what a harm assessment starts from). */
  outsideScope: { entries: number; persons: string[] };
}

type Touch = {
  personId: string;
  outsider?: { name: string; affiliation: string | null };
  kind: ExposureEntry['kind'];
  how: ExposureHow;
  placeId?: string | null;
  counted?: boolean;
};

type Outsider = { name: string; affiliation: string | null };
/** The exposure set's key for an outsider: by name, since an outsider has no id of their own. */
export const outsiderId = (o: Outsider): string => `outsider:${o.name}`;

/** Who an event put in touch with the item, and how. */
const touches = (e: VerifiedEvent['event']): Touch[] => {
  const d = e.data as Record<string, unknown>;
  const s = (k: string): string => String(d[k]);
  switch (e.type) {
    case 'ItemReceived':
      return [{ personId: s('receivedBy'), kind: 'custody', how: 'receipt' }];
    case 'ItemClassified':
      return [{ personId: s('custodian'), kind: 'custody', how: 'classification' }];
    case 'CopyRegistered':
      return [{ personId: s('custodian'), kind: 'custody', how: 'copy' }];
    // A copy of a copy is also recorded on its original (`via`); the copying is counted on the copy it was made from.
    case 'ItemCopied':
      return d.via ? [] : [{ personId: s('by'), kind: 'custody', how: 'copying' }];
    // The couriers carry it; by post nobody of ours does.
    case 'ItemDispatched':
      return ((d.couriers as string[] | undefined) ?? []).map((c) => ({
        personId: c,
        kind: 'custody' as const,
        how: 'dispatch' as const,
      }));
    case 'ReceiptAcknowledged':
      return [{ personId: s('by'), kind: 'custody', how: 'receipt-acknowledged' }];
    case 'ItemHandedOver':
      return [{ personId: s('to'), kind: 'custody', how: 'handover' }];
    case 'ItemLent':
      return [{ personId: s('borrower'), kind: 'custody', how: 'loan' }];
    case 'ItemReturned':
      return d.returnedTo ? [{ personId: s('returnedTo'), kind: 'custody', how: 'return' }] : [];
    case 'ItemCarriedOut':
      return [{ personId: s('person'), kind: 'custody', how: 'carry-out', placeId: s('destination') }];
    case 'ItemBroughtBack':
      return [
        { personId: s('person'), kind: 'custody', how: 'bring-back', placeId: (d.placeId as string | null) ?? null },
      ];
    case 'ItemArchived':
      return [{ personId: s('keeper'), kind: 'custody', how: 'archive', placeId: s('placeId') }];
    case 'ItemDestroyed':
      return [
        { personId: s('destroyedBy'), kind: 'custody', how: 'destruction', placeId: s('placeId') },
        ...((d.witnesses as string[] | undefined) ?? []).map((w) => ({
          personId: w,
          kind: 'custody' as const,
          how: 'destruction-witness' as const,
          placeId: s('placeId'),
        })),
      ];
    case 'ItemRead':
      return [
        {
          ...(d.outsider
            ? { personId: outsiderId(d.outsider as Outsider), outsider: d.outsider as Outsider }
            : { personId: s('reader') }),
          kind: 'reading',
          how: 'reading',
          placeId: s('placeId'),
          counted: d.counted as boolean,
        },
      ];
    default:
      return [];
  }
};

/** Place names and kinds (places are registered once and never change). */
const placeLookup = (core: LedgerCore): ((id: string | null) => PlaceView | null) => {
  const cache = new Map<string, PlaceView | null>();
  return (id) => {
    if (!id) return null;
    if (!cache.has(id)) cache.set(id, core.readModels.custody.place(id));
    return cache.get(id)!;
  };
};

/** The exposure entries of one item stream, judged by the world as it was at each event. */
const entriesOf = (
  node: ItemTreeNode,
  persons: PersonTimelines,
  place: (id: string | null) => PlaceView | null,
): ExposureEntry[] => {
  const streamId = itemStream(node.itemId);
  const out: ExposureEntry[] = [];
  let state = initialStateOf(streamId);
  for (const v of [...node.all].sort((a, b) => byJudgement(a.event, b.event))) {
    const before = itemView(state as never);
    state = evolveStream(streamId, state, v.event as unknown as DomainEvent);
    const list = touches(v.event);
    if (!list.length) continue;
    const after = itemView(state as never);
    // The item as it was when the person met it: before the event (a destruction does not make its own witnesses
    // unentitled), or right after it for the event that creates the item; a fact dated before the item existed
    // (a paper log entered with a wrong date) is judged against the item as it is now rather than dropped.
    const item: ItemView | null = before ?? after ?? node.state;
    if (!item) continue;
    for (const t of list) {
      const at = v.event.metadata.occurredAt;
      const person = t.outsider ? null : persons.at(t.personId, at);
      // BG99 第2条 (a); contract §5.1 point 9: an outsider is never within the knowledge scope.
      const check = t.outsider
        ? { allowed: false, reason: 'outsider' }
        : person
          ? readingCheck(person, item)
          : { allowed: false, reason: 'unregistered' };
      const placeId = t.placeId ?? after?.placeId ?? null;
      const p = place(placeId);
      out.push({
        personId: t.personId,
        name: t.outsider?.name ?? person?.name ?? null,
        ...(t.outsider ? { outsider: t.outsider } : {}),
        itemId: node.itemId,
        copyOf: item.copyOf,
        kind: t.kind,
        how: t.how,
        eventType: v.event.type,
        eventId: v.event.eventId,
        occurredAt: at,
        recordedAt: v.event.metadata.recordedAt,
        placeId,
        placeName: p?.name ?? null,
        placeKind: p?.kind ?? null,
        ...(t.counted !== undefined ? { counted: t.counted } : {}),
        withinScope: check.allowed,
        reason: check.allowed ? null : (check.reason ?? null),
        violations: v.raised
          .filter((r) => r.personId === null || (!t.outsider && r.personId === t.personId))
          .map((r) => r.code),
      });
    }
  }
  return out;
};

const summarise = (entries: ExposureEntry[]): ExposedPerson[] => {
  const by = new Map<string, ExposedPerson>();
  for (const e of entries) {
    const p = by.get(e.personId) ?? {
      personId: e.personId,
      name: e.name,
      ...(e.outsider ? { outsider: e.outsider } : {}),
      firstAt: e.occurredAt,
      lastAt: e.occurredAt,
      items: [],
      hows: [],
      readings: 0,
      custody: 0,
      outsideScope: 0,
      reasons: [],
    };
    if (e.occurredAt < p.firstAt) p.firstAt = e.occurredAt;
    if (e.occurredAt > p.lastAt) p.lastAt = e.occurredAt;
    if (!p.items.includes(e.itemId)) p.items.push(e.itemId);
    if (!p.hows.includes(e.how)) p.hows.push(e.how);
    if (e.kind === 'reading') p.readings++;
    else p.custody++;
    if (!e.withinScope) {
      p.outsideScope++;
      if (e.reason && !p.reasons.includes(e.reason)) p.reasons.push(e.reason);
    }
    p.name = p.name ?? e.name;
    by.set(e.personId, p);
  }
  return [...by.values()].sort((a, b) => (a.personId < b.personId ? -1 : 1));
};

/**
 * The exposure set of one or more items (an incident's items) and all their copies. Null when none of the items
 * exists. Items and copies reached twice are counted once.
 */
export const exposureOf = async (core: LedgerCore, itemIds: string[]): Promise<ExposureSet | null> => {
  await core.readModels.catchUp();
  const nodes: ItemTreeNode[] = [];
  const seen = new Set<string>();
  for (const id of itemIds) {
    if (seen.has(id)) continue;
    const tree = await loadItemTree(core.store, id, {}, true);
    for (const n of tree ?? [])
      if (!seen.has(n.itemId)) {
        seen.add(n.itemId);
        nodes.push(n);
      }
  }
  if (!nodes.length) return null;
  const mentioned = new Set<string>();
  for (const n of nodes)
    for (const v of n.all) for (const t of touches(v.event)) if (!t.outsider) mentioned.add(t.personId);
  const persons = PersonTimelines.fromStreams(await readPersonStreams(core, mentioned));
  const place = placeLookup(core);
  const entries = nodes
    .flatMap((n) => entriesOf(n, persons, place))
    .sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0));
  const people = summarise(entries);
  return {
    itemIds: [...new Set(itemIds)].filter((id) => seen.has(id)),
    entries,
    persons: people,
    copyTree: nodes.map((n) => ({
      itemId: n.itemId,
      copyOf: n.copyOf,
      depth: n.depth,
      copyNo: n.state?.copyNo ?? null,
      title: n.state?.title ?? null,
      level: n.state?.level ?? null,
      status: n.state?.status ?? null,
      custodian: n.state?.custodian ?? null,
      placeId: n.state?.placeId ?? null,
    })),
    outsideScope: {
      entries: entries.filter((e) => !e.withinScope).length,
      persons: people.filter((p) => p.outsideScope > 0).map((p) => p.personId),
    },
  };
};
