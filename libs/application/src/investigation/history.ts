/**
 * An item's history as an investigator reads it (contract §1, §2.2, §6 timeline): every event of the item and of its
 * copies, each with its two times, its actor, the violations it raised and whether its hash recomputes and links;
 * and the item's state and readers at an instant, either as the ledger knew it (`asOf`, by recordedAt) or as the
 * world was (`occurredBefore`, by occurredAt, so a fact entered late changes the state at the instant it happened).
 *
 * Everything here is read from the store, not from the read models: the read models hold only "now".
 */
import { type EventStore, type RecordedEvent, GENESIS_HASH, eventHash, isHashHex } from '@app/ledger';
import {
  evolveStream,
  initialStateOf,
  itemView,
  personView,
  type PersonState,
  mayRead,
  itemStream,
  personStream,
  type ItemView,
  type PersonView,
  type DomainEvent,
  type ViolationDetectedData,
  ms,
} from '@app/custody';
import { pageReaders, type ReadersPage } from '@app/read-models';
import type { LedgerCore } from '../ledger-core';

/** A violation recorded beside a fact by the same command (contract §2.1). */
export interface RaisedViolation {
  violationId: string;
  code: string;
  severity: string;
  personId: string | null;
  incidentId: string | null;
}

export interface HistoryEvent {
  eventId: string;
  streamId: string;
  itemId: string;
  revision: number;
  position: number;
  type: string;
  occurredAt: string;
  recordedAt: string;
  /** recordedAt − occurredAt: how late the fact was entered. */
  lateByMs: number;
  actor: string;
  commandId: string;
  data: unknown;
  /** Violations the same command recorded beside this fact. */
  violations: RaisedViolation[];
  /** The event's hash recomputes and its prevHash links to its predecessor. */
  verified: boolean;
  verification: { hashRecomputes: boolean; linksToPrevious: boolean };
}

/** Which instant a question is about. Both may be given: what the ledger knew at `asOf` about the world at `occurredBefore`. */
export interface TimeWindow {
  /** As the ledger knew it at T: events recorded at or before T, folded in the store's order. */
  asOf?: string;
  /** As the world was at T: events that occurred at or before T, folded in occurredAt order. */
  occurredBefore?: string;
}

export interface HistoryOptions extends TimeWindow {
  /** Include the item's copies and their copies. */
  copies?: boolean;
  /** Page the events: at most this many (1..1000). Without it every event is in the answer. */
  limit?: number;
  /** `nextCursor` of the previous page (the number of events before this page). */
  cursor?: string;
}

/** How many readers a history carries (the first page of the readers at its instant). */
export const HISTORY_READERS = 100;

export interface ReaderAtInstant {
  personId: string;
  name: string;
  rank: PersonView['rank'];
  clearance: PersonView['clearance'];
  unit: string;
}

export interface CopyNode {
  itemId: string;
  copyOf: string | null;
  /** 0 for the item asked about, 1 for its copies, 2 for copies of copies… */
  depth: number;
}

export interface ItemHistory {
  itemId: string;
  asOf: string | null;
  occurredBefore: string | null;
  /** The order the state was folded in and the events are listed in. */
  order: 'recorded' | 'occurred';
  /** The item at the instant; null when it did not exist yet. */
  state: ItemView | null;
  /**
   * Registered persons who might read it at that instant (persons folded to the same instant): the first
   * {@link HISTORY_READERS} in id order. More are paged by `GET /api/items/{id}/readers` with the same `asOf` and
   * `occurredBefore` and `cursor` = `readersNextCursor` (docs/decisions.md: the readers of a SECRET item can be
   * thousands, and deciding on each one is the cost a history must not carry).
   */
  readers: ReaderAtInstant[];
  /** The cursor of the readers after the first page, null when `readers` is all of them. */
  readersNextCursor: string | null;
  /** The copies at that instant, each with its state. */
  copies: (ItemView | null)[];
  copyTree: CopyNode[];
  events: HistoryEvent[];
  /** With `limit`: the cursor of the next page, null on the last; always null without `limit`. */
  nextCursor: string | null;
  /**
   * Every event of every stream shown recomputes and links (checked over the whole streams, not just the window).
   * A page of the item's own history now (`limit` without `asOf`, `occurredBefore` or `copies`) checks the events
   * of the page and the link into it from the event before, so a page costs the same however long the item is.
   */
  verification: {
    ok: boolean;
    eventsChecked: number;
    firstFailure: { eventId: string; streamId: string; revision: number; reason: string } | null;
  };
}

/** An event with its chain check and the violations recorded beside it. */
export interface VerifiedEvent {
  event: RecordedEvent;
  hashRecomputes: boolean;
  linksToPrevious: boolean;
  raised: RaisedViolation[];
}

const hashOf = (e: RecordedEvent): boolean => {
  const { prevHash, hash } = e.metadata;
  if (!isHashHex(prevHash) || !isHashHex(hash)) return false;
  try {
    return (
      eventHash(prevHash, {
        streamId: e.streamId,
        revision: e.revision,
        eventId: e.eventId,
        type: e.type,
        data: e.data,
        metadata: e.metadata,
      }) === hash
    );
  } catch {
    // Something in the event is not plain JSON: it cannot be what was sealed.
    return false;
  }
};

/**
 * Checks one whole stream (revision order, from 0) and pairs each violation with the fact its command recorded.
 * `after` starts the check further on: a run of the stream that follows the event with that hash and revision.
 */
export const verifyStream = (
  events: RecordedEvent[],
  after: { hash: string; revision: number } = { hash: GENESIS_HASH, revision: -1 },
): VerifiedEvent[] => {
  let link = after.hash;
  let revision = after.revision;
  const out: VerifiedEvent[] = events.map((event) => {
    const linksToPrevious = event.metadata.prevHash === link && event.revision === revision + 1;
    link = String(event.metadata.hash);
    revision = event.revision;
    return { event, hashRecomputes: hashOf(event), linksToPrevious, raised: [] };
  });
  for (let i = 0; i < out.length; i++) {
    const e = out[i].event;
    if (e.type !== 'ViolationDetected') continue;
    // The fact is the last non-violation event the same command appended before it (a deadline flag has none).
    for (let j = i - 1; j >= 0 && out[j].event.metadata.commandId === e.metadata.commandId; j--) {
      if (out[j].event.type === 'ViolationDetected') continue;
      const d = e.data as ViolationDetectedData;
      out[j].raised.push({
        violationId: d.violationId,
        code: d.code,
        severity: d.severity,
        personId: d.personId ?? null,
        incidentId: d.incidentId ?? null,
      });
      break;
    }
  }
  return out;
};

export const readVerifiedStream = async (store: EventStore, streamId: string): Promise<VerifiedEvent[]> =>
  verifyStream(await store.readStream(streamId));

/** Does an event belong to the window? */
export const inWindow = (w: TimeWindow): ((e: RecordedEvent) => boolean) => {
  const recorded = w.asOf ? ms(w.asOf) : Infinity;
  const occurred = w.occurredBefore ? ms(w.occurredBefore) : Infinity;
  return (e) => ms(e.metadata.recordedAt) <= recorded && ms(e.metadata.occurredAt) <= occurred;
};

/** The world's order: occurredAt, ties by the store's order. */
export const byOccurredAt = (a: RecordedEvent, b: RecordedEvent): number =>
  ms(a.metadata.occurredAt) - ms(b.metadata.occurredAt) || a.position - b.position;
export const byPosition = (a: RecordedEvent, b: RecordedEvent): number => a.position - b.position;
/**
 * The order the decider judges a fact by (contract §5.1 2; libs/ledger decider-runner `asOf`): a stream's first event
 * (a record's existence is not dated), then occurredAt order. The exposure set folds the same way, so the ledger's
 * verdict on a contact and the exposure set's never differ.
 */
export const byJudgement = (a: RecordedEvent, b: RecordedEvent): number =>
  (a.revision === 0 ? -1 : 0) - (b.revision === 0 ? -1 : 0) || byOccurredAt(a, b);

/** The events of a stream a window sees, in the order it folds them. */
export const windowed = <T extends { event: RecordedEvent }>(events: T[], w: TimeWindow): T[] => {
  const keep = inWindow(w);
  const seen = events.filter((e) => keep(e.event));
  return w.occurredBefore ? seen.sort((a, b) => byOccurredAt(a.event, b.event)) : seen;
};

/** Folds events of one stream with the domain's own evolve (one copy of the rules). */
export const foldEvents = (streamId: string, events: RecordedEvent[]): unknown =>
  events.reduce((s, e) => evolveStream(streamId, s, e as unknown as DomainEvent), initialStateOf(streamId));

export interface ItemTreeNode extends CopyNode {
  /** The whole stream, verified. */
  all: VerifiedEvent[];
  /** What the window sees, in fold order. */
  seen: VerifiedEvent[];
  /** The item folded over `seen`. */
  state: ItemView | null;
}

/**
 * The item and (with copies) its copy tree as the window sees it, breadth first. Copies are found through the
 * `ItemCopied` events the window sees, so asking as of an earlier instant leaves out copies registered later.
 * Null when the item's stream does not exist at all.
 */
export const loadItemTree = async (
  store: EventStore,
  rootId: string,
  w: TimeWindow,
  withCopies: boolean,
): Promise<ItemTreeNode[] | null> => {
  const rootEvents = await readVerifiedStream(store, itemStream(rootId));
  if (rootEvents.length === 0) return null;
  const nodes: ItemTreeNode[] = [];
  const queue: { itemId: string; copyOf: string | null; depth: number; all?: VerifiedEvent[] }[] = [
    { itemId: rootId, copyOf: null, depth: 0, all: rootEvents },
  ];
  const known = new Set([rootId]);
  while (queue.length) {
    const next = queue.shift()!;
    const all = next.all ?? (await readVerifiedStream(store, itemStream(next.itemId)));
    const seen = windowed(all, w);
    const state = itemView(
      foldEvents(
        itemStream(next.itemId),
        seen.map((v) => v.event),
      ) as never,
    );
    // A root that is itself a copy says so (its own CopyRegistered), though the tree starts from it at depth 0.
    const copyOf = next.copyOf ?? state?.copyOf ?? null;
    nodes.push({ itemId: next.itemId, copyOf, depth: next.depth, all, seen, state });
    if (!withCopies) break;
    for (const v of seen) {
      // A copy of a copy is also recorded on its original (`via`, contract §5.1 point 4); it is reached through the copy
      // it was made from, at its own depth.
      if (v.event.type !== 'ItemCopied' || (v.event.data as { via?: string }).via) continue;
      const copyId = (v.event.data as { copyItemId: string }).copyItemId;
      if (known.has(copyId)) continue;
      known.add(copyId);
      queue.push({ itemId: copyId, copyOf: next.itemId, depth: next.depth + 1 });
    }
  }
  return nodes;
};

/** Every registered person's stream (the read model only lists who exists now; each stream says since when). */
export const readPersonStreams = async (
  core: LedgerCore,
  only?: Iterable<string>,
): Promise<Map<string, RecordedEvent[]>> => {
  const ids = only ? [...new Set(only)] : core.readModels.custody.persons().map((p) => p.personId);
  const out = new Map<string, RecordedEvent[]>();
  for (const id of ids) out.set(id, await core.store.readStream(personStream(id)));
  return out;
};

/** Persons folded to a window's instant (persons registered later are absent). */
export const personsAt = (streams: Map<string, RecordedEvent[]>, w: TimeWindow): PersonView[] => {
  const keep = inWindow(w);
  const out: PersonView[] = [];
  for (const [id, events] of streams) {
    const seen = events.filter(keep);
    if (w.occurredBefore) seen.sort(byOccurredAt);
    const view = personView(foldEvents(personStream(id), seen) as PersonState);
    if (view) out.push(view);
  }
  return out.sort((a, b) => (a.personId < b.personId ? -1 : a.personId > b.personId ? 1 : 0));
};

/**
 * Each person as the world had them at any instant: folded in occurredAt order, one snapshot per event, looked up
 * by binary search. Used where every event needs the person "as they were then" (the exposure set).
 */
export class PersonTimelines {
  private constructor(private readonly snapshots: Map<string, { at: number; view: PersonView | null }[]>) {}

  static fromStreams(streams: Map<string, RecordedEvent[]>): PersonTimelines {
    const snapshots = new Map<string, { at: number; view: PersonView | null }[]>();
    for (const [id, events] of streams) {
      const streamId = personStream(id);
      let state = initialStateOf(streamId);
      const list: { at: number; view: PersonView | null }[] = [];
      for (const e of [...events].sort(byJudgement)) {
        state = evolveStream(streamId, state, e as unknown as DomainEvent);
        // The registration counts from the beginning, as the decider judges it.
        list.push({
          at: e.revision === 0 ? -Infinity : ms(e.metadata.occurredAt),
          view: personView(state as PersonState),
        });
      }
      snapshots.set(id, list);
    }
    return new PersonTimelines(snapshots);
  }

  /** The person as of instant `at` (inclusive); null when not registered by then. */
  at(personId: string, at: string): PersonView | null {
    const list = this.snapshots.get(personId);
    if (!list) return null;
    const t = ms(at);
    let lo = 0;
    let hi = list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].at <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? null : list[found].view;
  }
}

const toHistoryEvent = (v: VerifiedEvent, itemId: string): HistoryEvent => {
  const e = v.event;
  return {
    eventId: e.eventId,
    streamId: e.streamId,
    itemId,
    revision: e.revision,
    position: e.position,
    type: e.type,
    occurredAt: e.metadata.occurredAt,
    recordedAt: e.metadata.recordedAt,
    lateByMs: ms(e.metadata.recordedAt) - ms(e.metadata.occurredAt),
    actor: e.metadata.actor,
    commandId: e.metadata.commandId,
    data: e.data,
    violations: v.raised,
    verified: v.hashRecomputes && v.linksToPrevious,
    verification: { hashRecomputes: v.hashRecomputes, linksToPrevious: v.linksToPrevious },
  };
};

/** An item's history (optionally with its copy tree) at an instant, each event with its verification state. */
export const readHistory = async (
  core: LedgerCore,
  itemId: string,
  options: HistoryOptions = {},
): Promise<ItemHistory | null> => {
  await core.readModels.catchUp();
  const w: TimeWindow = { asOf: options.asOf, occurredBefore: options.occurredBefore };
  const offset = options.cursor === undefined ? 0 : Number(options.cursor);
  if (options.limit !== undefined && !options.copies && !w.asOf && !w.occurredBefore) {
    const page = await readHistoryPageNow(core, itemId, offset, options.limit);
    if (page) return page;
  }
  const tree = await loadItemTree(core.store, itemId, w, options.copies ?? false);
  if (!tree) return null;
  const root = tree[0];
  // Only the persons who could read an item in this state at any instant (the read models' person index), folded to
  // the instant from their copied streams: the cost follows the readers, not everyone ever registered.
  const readers = root.state ? readersAt(core, root.state, w) : { readers: [], nextCursor: null };
  const events = tree.flatMap((n) => n.seen.map((v) => toHistoryEvent(v, n.itemId)));
  events.sort(
    w.occurredBefore
      ? (a, b) => ms(a.occurredAt) - ms(b.occurredAt) || a.position - b.position
      : (a, b) => a.position - b.position,
  );
  let eventsChecked = 0;
  let firstFailure: ItemHistory['verification']['firstFailure'] = null;
  for (const n of tree) {
    for (const v of n.all) {
      eventsChecked++;
      if (firstFailure || (v.hashRecomputes && v.linksToPrevious)) continue;
      firstFailure = {
        eventId: v.event.eventId,
        streamId: v.event.streamId,
        revision: v.event.revision,
        reason: v.hashRecomputes ? 'broken-link' : 'hash-mismatch',
      };
    }
  }
  const paged = options.limit === undefined ? events : events.slice(offset, offset + options.limit);
  return {
    itemId,
    asOf: options.asOf ?? null,
    occurredBefore: options.occurredBefore ?? null,
    order: w.occurredBefore ? 'occurred' : 'recorded',
    state: root.state,
    readers: readers.readers.map(readerAtInstant),
    readersNextCursor: readers.nextCursor,
    copies: tree
      .slice(1)
      .filter((n) => n.seen.length > 0)
      .map((n) => n.state),
    copyTree: tree
      .filter((n, i) => i === 0 || n.seen.length > 0)
      .map(({ itemId: id, copyOf, depth }) => ({ itemId: id, copyOf, depth })),
    events: paged,
    nextCursor:
      options.limit !== undefined && offset + paged.length < events.length ? String(offset + paged.length) : null,
    verification: { ok: firstFailure === null, eventsChecked, firstFailure },
  };
};

const readerAtInstant = ({ personId, name, rank, clearance, unit }: PersonView): ReaderAtInstant => ({
  personId,
  name,
  rank,
  clearance,
  unit,
});

/**
 * A page of the readers of an item in this state at the window's instant, from the person index (see
 * readerCandidates): now from the persons as the read models hold them, at an earlier instant from the candidates'
 * copied streams folded to it. Either way only about a page of persons is decided on.
 */
const readersAt = (
  core: LedgerCore,
  state: ItemView,
  w: TimeWindow,
  cursor = '',
  limit = HISTORY_READERS,
): ReadersPage<PersonView> => {
  const custody = core.readModels.custody;
  if (!w.asOf && !w.occurredBefore) return custody.readersOfItem(state, cursor, limit);
  return pageReaders(
    cursor,
    limit,
    (after, n) => custody.readerCandidatesPage(state, after, n),
    (ids) => personsAt(custody.personEvents(ids), w).filter((p) => mayRead(p, state)),
  );
};

export interface ReadersOptions extends TimeWindow {
  /** `nextCursor` of the previous page (a person id). */
  cursor?: string;
  /** Page size (1..1000, default 100). */
  limit?: number;
}

export interface ReadersAtInstant extends ReadersPage<PersonView> {
  itemId: string;
  asOf: string | null;
  occurredBefore: string | null;
}

/**
 * Who may read an item — now, or at an instant (`asOf`: as the ledger knew it; `occurredBefore`: as the world was),
 * the item and the persons both folded to it — a page at a time in person id order. Null when there is no such item.
 */
export const readReaders = async (
  core: LedgerCore,
  itemId: string,
  options: ReadersOptions = {},
): Promise<ReadersAtInstant | null> => {
  await core.readModels.catchUp();
  const w: TimeWindow = { asOf: options.asOf, occurredBefore: options.occurredBefore };
  const limit = options.limit ?? 100;
  const at = { itemId, asOf: options.asOf ?? null, occurredBefore: options.occurredBefore ?? null };
  if (!w.asOf && !w.occurredBefore) {
    const page = core.readModels.custody.readersPage(itemId, options.cursor, limit);
    return page && { ...at, ...page };
  }
  const tree = await loadItemTree(core.store, itemId, w, false);
  if (!tree) return null;
  const state = tree[0].state;
  return { ...at, ...(state ? readersAt(core, state, w, options.cursor, limit) : { readers: [], nextCursor: null }) };
};

/**
 * One page of the item's own history as it stands now: the state from the read model (the same fold of the same
 * events), the page's events read by revision (the stream's order is the recorded order), each checked with the
 * link into the page. Null when the read model has no view of the item (then the whole history is computed).
 */
const readHistoryPageNow = async (
  core: LedgerCore,
  itemId: string,
  offset: number,
  limit: number,
): Promise<ItemHistory | null> => {
  const state = core.readModels.custody.item(itemId);
  if (!state) return null;
  const streamId = itemStream(itemId);
  const from = Math.max(0, offset - 1);
  // The page, the event before it (its link) and the violations its last fact raised (they follow the fact).
  const read = await core.store.readStream(streamId, { fromRevision: from, maxCount: limit + 17 + (offset - from) });
  for (;;) {
    const last = read[read.length - 1];
    const end = read[offset - from + limit - 1];
    if (!end || !last || last.metadata.commandId !== end.metadata.commandId) break;
    const more = await core.store.readStream(streamId, { fromRevision: last.revision + 1, maxCount: 64 });
    if (more.length === 0) break;
    read.push(...more);
  }
  const before = offset > 0 ? read[0] : undefined;
  if (offset > 0 && before?.revision !== offset - 1) return null;
  const run = verifyStream(
    before ? read.slice(1) : read,
    before ? { hash: String(before.metadata.hash), revision: before.revision } : undefined,
  );
  const page = run.slice(0, limit);
  const firstBad = page.find((v) => !(v.hashRecomputes && v.linksToPrevious));
  const lastRevision = await core.store.streamRevision(streamId);
  const readers = readersAt(core, state, {});
  return {
    itemId,
    asOf: null,
    occurredBefore: null,
    order: 'recorded',
    state,
    readers: readers.readers.map(readerAtInstant),
    readersNextCursor: readers.nextCursor,
    copies: [],
    copyTree: [{ itemId, copyOf: null, depth: 0 }],
    events: page.map((v) => toHistoryEvent(v, itemId)),
    nextCursor: offset + page.length <= lastRevision ? String(offset + page.length) : null,
    verification: {
      ok: firstBad === undefined,
      eventsChecked: page.length,
      firstFailure: firstBad
        ? {
            eventId: firstBad.event.eventId,
            streamId,
            revision: firstBad.event.revision,
            reason: firstBad.hashRecomputes ? 'broken-link' : 'hash-mismatch',
          }
        : null,
    },
  };
};

/** The history as text for the CLI: one line per event, then the state and readers at the instant. */
export const formatHistory = (h: ItemHistory): string => {
  const lines = h.events.map(
    (e) =>
      `${e.occurredAt}  ${e.streamId.padEnd(18)} #${String(e.revision).padStart(3)}  ${e.type.padEnd(22)} by ${e.actor}` +
      `${e.lateByMs > 60_000 ? `  (recorded ${e.recordedAt})` : ''}` +
      `${e.violations.length ? `  ⚠ ${e.violations.map((v) => v.code).join(', ')}` : ''}${e.verified ? '' : '  ✗ DOES NOT VERIFY'}`,
  );
  const at =
    [
      h.asOf ? `as the ledger knew it at ${h.asOf}` : '',
      h.occurredBefore ? `as the world was at ${h.occurredBefore}` : '',
    ]
      .filter(Boolean)
      .join(', ') || 'now';
  lines.push(
    `${h.events.length} events (${h.order} order); ${at}: ${h.state ? `${h.state.status}, held by ${h.state.custodian ?? 'nobody'}${h.state.placeId ? ` at ${h.state.placeId}` : ''}` : 'not recorded yet'}`,
    `readers: ${h.readers.map((r) => r.personId).join(', ') || 'none'}${h.readersNextCursor ? ', …' : ''}`,
    h.verification.ok
      ? `verified: ${h.verification.eventsChecked} events recompute and link`
      : `NOT VERIFIED: first failure ${JSON.stringify(h.verification.firstFailure)}`,
  );
  if (h.copyTree.length > 1)
    lines.push(
      `copies: ${h.copyTree
        .slice(1)
        .map((c) => `${c.itemId} (of ${c.copyOf})`)
        .join(', ')}`,
    );
  return lines.join('\n');
};
