/**
 * What the item decider's use cases share: the vocabulary of the rules, what a plan asks for, the lookups that turn a
 * missing reference into a 404, and how a fact is written with its violations and incidents beside it.
 */
import type { Command, DecisionContext, DomainEvent, IncidentKind, Needs, StreamEvents } from '../shared/command';
import { ApproverNotAuthorized, refuse, InvalidCommand, UnknownReference } from '../shared/errors';
import { itemStream, personStream, placeStream } from '../shared/streams';
import type { PersonView, PlaceView } from '../shared/views';
import type { ViolationDetected, ViolationResolved } from '../shared/violation';
import { atLeastRank, type Level, type PlaceKind, type Rank } from '../shared/vocabulary';
import { personView, type PersonState } from '../person';
import { placeView, type PlaceState } from '../place';
import { incidentKindFor, incidentWrites, type IncidentCause } from '../incident/incident-policy';
import { readingCheck } from '../rules/reading-scope';
import { resolution, violation, violationIdFor, type ViolationCode } from '../rules/violations';
import type { ItemEvent, ItemScope } from './item.events';
import { addYears } from './item.deadlines';
import { flagKey, isItem, itemView, type ItemRecord, type ItemState } from './item.state';
import type { CommandOf } from '../commands';
import type { ItemCommand } from './item.decider';

// ---------------------------------------------------------------- vocabulary of the rules

/** QX90 国家秘密保密期限的规定 第3条; 001_6188e2007563e3a6.txt: 绝密 ≤ 30, 机密 ≤ 20, 秘密 ≤ 10 years. */
export const MAX_PERIOD_YEARS: Record<Level, number> = { TOP_SECRET: 30, SECRET: 20, CONFIDENTIAL: 10 };

/** Approvable readings happen only here (001 (二)阅文保密 3: 在办公室或阅文室进行). */
export const READING_PLACES: PlaceKind[] = ['reading-room', 'office'];
/** 001 (五)携带保密: never to social events, public places or home — so never approvable. */
export const NEVER_APPROVABLE: PlaceKind[] = ['public', 'home'];

import { ms } from '../shared/calendar';
export { ms };
export const uniq = (xs: string[]): string[] => [...new Set(xs)];

// ---------------------------------------------------------------- plan

export const mergeNeeds = (...all: Needs[]): Needs => {
  const out: Needs = {};
  // Sets filled in a loop (first occurrence keeps its place, as uniq of the flattened lists did): every plan round
  // of every item command merges its needs here.
  const streams = new Set<string>();
  const incidents = new Set<string>();
  for (const n of all) {
    if (n.streams) for (const s of n.streams) streams.add(s);
    if (n.openIncidentsFor) for (const i of n.openIncidentsFor) incidents.add(i);
  }
  if (streams.size) out.streams = [...streams];
  if (incidents.size) out.openIncidentsFor = [...incidents];
  return out;
};
export const persons = (...ids: Array<string | undefined>): Needs => ({
  streams: ids.filter((x): x is string => !!x).map(personStream),
});
export const places = (...ids: Array<string | undefined>): Needs => ({
  streams: ids.filter((x): x is string => !!x).map(placeStream),
});
export const items = (...ids: string[]): Needs => ({ streams: ids.map(itemStream) });

export const loadedItem = (ctx: DecisionContext, itemId: string): ItemRecord | null => {
  const s = ctx.streams[itemStream(itemId)]?.state as ItemState | undefined;
  return isItem(s) ? s : null;
};
/** The original at the root of an item's copy tree: the item itself when it is no copy. */
export const originalIdOf = (item: ItemRecord): string => item.original ?? item.copyOf ?? item.itemId;

/**
 * Every copy in an item's tree that is loaded, copies of copies included (contract §5.1 point 4). The original lists
 * its whole tree (`descendants`); walking each copy's own `copies` as well covers trees written before v2.
 */
export const copyTree = (ctx: DecisionContext, item: ItemRecord): ItemRecord[] => {
  const seen = new Set<string>([item.itemId]);
  const out: ItemRecord[] = [];
  const visit = (from: ItemRecord): void => {
    for (const id of [...from.descendants, ...from.copies]) {
      if (seen.has(id)) continue;
      seen.add(id);
      const copy = loadedItem(ctx, id);
      if (!copy) continue;
      out.push(copy);
      visit(copy);
    }
  };
  visit(item);
  return out;
};
/** What a decision that binds every copy must load: the copies' streams, generation by generation. */
export const copyTreeNeeds = (ctx: DecisionContext, itemId: string): Needs => {
  const item = loadedItem(ctx, itemId);
  if (!item) return {};
  const tree = copyTree(ctx, item);
  const ids = uniq([item, ...tree].flatMap((c) => [...c.descendants, ...c.copies]));
  return ids.length ? items(...ids) : {};
};
/**
 * The consequence of a decision on every copy in the tree, each on the copy's own stream so its history shows why it
 * changed (001 (三)5: 复印件要等同原件一样管理). A destroyed copy is locked and changes no more.
 */
export const onCopies = (
  ctx: DecisionContext,
  item: ItemRecord,
  make: (copy: ItemRecord) => ItemEvent | null,
): StreamEvents[] =>
  copyTree(ctx, item)
    .filter((c) => c.status !== 'destroyed')
    .flatMap((c) => {
      const e = make(c);
      return e ? [write(itemStream(c.itemId), [e])] : [];
    });

/** Round two: the custodian's person stream (for loans, whose approval depends on the custodian's unit). */
export const custodianNeeds = (ctx: DecisionContext, itemId: string): Needs => {
  const custodian = loadedItem(ctx, itemId)?.custodian;
  return custodian ? persons(custodian) : {};
};

// ---------------------------------------------------------------- lookups (input errors, 404)

export const itemOf = (ctx: DecisionContext, itemId: string, field = 'itemId'): ItemRecord => {
  const item = loadedItem(ctx, itemId);
  if (!item) throw new UnknownReference('UNKNOWN_ITEM', field, itemId);
  return item;
};
export const maybePerson = (ctx: DecisionContext, personId: string): PersonView | null => {
  const loaded = ctx.streams[personStream(personId)];
  return loaded ? personView(loaded.state as PersonState) : null;
};
export const personOf = (ctx: DecisionContext, personId: string, field: string): PersonView => {
  const p = maybePerson(ctx, personId);
  if (!p) throw new UnknownReference('UNKNOWN_PERSON', field, personId);
  return p;
};
export const placeOf = (ctx: DecisionContext, placeId: string, field: string): PlaceView => {
  const loaded = ctx.streams[placeStream(placeId)];
  const p = loaded ? placeView(loaded.state as PlaceState) : null;
  if (!p) throw new UnknownReference('UNKNOWN_PLACE', field, placeId);
  return p;
};
/**
 * The person whose approval a request gives: a registered person (contract §7). 000_45e41dba1b6a5da7.txt 离岗脱密管理:
 * one who has left the unit is under decontamination management and holds no office in it, so gives no approval (as
 * they may read nothing, contract §5).
 */
export const approverOf = (ctx: DecisionContext, cmd: Command): PersonView => {
  const approver = personOf(ctx, cmd.actor, 'actor');
  // A paper approval signed before the departure and typed in after it was given in office.
  if (approver.departed && (!approver.departedAt || ms(approver.departedAt) <= ms(cmd.at)))
    throw new ApproverNotAuthorized(
      `${approver.personId} departed${approver.departedAt ? ` on ${approver.departedAt}` : ''} and gives no approval`,
    );
  return approver;
};

// ---------------------------------------------------------------- requests: common refusals

/** Requests on a destroyed item are refused; a destroyed item is locked (contract §5). */
export const requestable = (item: ItemRecord): ItemRecord => {
  if (item.status === 'destroyed') throw refuse('ITEM_DESTROYED', `${item.itemId} is destroyed`);
  return item;
};
/**
 * Decisions on the secrecy of a copy are taken on its original and bind the copy (contract §5.1 point 4), so they are
 * refused on the copy itself.
 */
export const notACopy = (item: ItemRecord): ItemRecord => {
  if (item.copyOf)
    throw refuse(
      'COPY_FOLLOWS_ORIGINAL',
      `${item.itemId} is a copy: decide on its original ${originalIdOf(item)}, the copy follows`,
      'itemId',
    );
  return item;
};
/**
 * S2 第6篇 (保密法 释义, 解密制度): 对于非由本机关、本单位确定的国家秘密事项 … 不得自行决定 — an item another organ
 * classified is declassified, extended or re-levelled only by that organ's notice (RecordOriginatorNotice).
 */
export const ownClassification = (item: ItemRecord, what: string): void => {
  if (item.classifiedBy)
    throw refuse(
      'NOT_ORIGINATOR',
      `${what} ${item.itemId} is for ${item.classifiedBy}, which classified it; record its notice instead`,
      'itemId',
    );
};
/** Requests that need an issued classification (a period, a custodian) are refused on a draft. */
export const classified = (item: ItemRecord): ItemRecord => {
  requestable(item);
  if (item.status === 'draft') throw refuse('NOT_CLASSIFIED', `${item.itemId} is still a draft`);
  return item;
};
export const requireRank = (approver: PersonView, min: Rank, what: string): void => {
  if (!atLeastRank(approver.rank, min)) {
    throw new ApproverNotAuthorized(`${what} needs a ${min} or above; ${approver.personId} is ${approver.rank}`);
  }
};
/** 保密法 第24条 / contract §5: period changes, declassification and level changes by the classification's approver or an executive. */
export const requireClassifier = (approver: PersonView, item: ItemRecord, what: string): void => {
  if (approver.personId !== item.approvedBy && approver.rank !== 'executive') {
    throw new ApproverNotAuthorized(`${what} needs the classification's approver or an executive`);
  }
};

// ---------------------------------------------------------------- facts: violations beside the fact

export interface Finding {
  code: ViolationCode;
  personId: string | null;
  detail: string;
  /** The incident this finding opens or joins, if any (incident-policy decides). */
  incident?: IncidentKind | null;
  idSuffix?: string;
}

/**
 * The write of a fact on an item: the fact events, then its violations; causes that open incidents open or join
 * one (一事一报) and carry its id. On a destroyed item the fact is still recorded and flags
 * ACTIVITY_AFTER_DESTRUCTION and nothing else (contract §5).
 */
export const factWrites = (
  cmd: Command,
  ctx: DecisionContext,
  item: ItemRecord,
  facts: ItemEvent[],
  findings: () => Finding[],
  concerned: string | null = null,
): StreamEvents[] => {
  const streamId = itemStream(item.itemId);
  if (item.status === 'destroyed') {
    // 001 (十)销毁保密 / contract §5: a destroyed item is locked; any later fact is itself the anomaly.
    const v = violation(cmd, 'ACTIVITY_AFTER_DESTRUCTION', {
      itemId: item.itemId,
      personId: concerned,
      detail: `${cmd.type} recorded after ${item.itemId} was destroyed`,
    });
    return [write(streamId, [...facts, v])];
  }
  // A declassified item is no longer secret: its custody is still recorded, its secrecy rules no longer apply.
  const found = item.declassified ? [] : findings();
  const causes: Array<IncidentCause & { kind: IncidentKind }> = found
    .filter((f): f is Finding & { incident: IncidentKind } => !!f.incident)
    .map((f) => ({
      itemId: item.itemId,
      code: f.code,
      personId: f.personId,
      kind: f.incident,
      violationId: violationIdFor(cmd, f.code, item.itemId, f.personId, f.idSuffix),
    }));
  const incidents = causes.length
    ? incidentWrites(cmd, causes, ctx)
    : { incidentIds: {} as Record<string, string>, writes: [] };
  const violations: ViolationDetected[] = found.map((f) =>
    violation(cmd, f.code, {
      itemId: item.itemId,
      personId: f.personId,
      detail: f.detail,
      level: item.level,
      idSuffix: f.idSuffix,
      incidentId: f.incident ? incidents.incidentIds[item.itemId] : undefined,
    }),
  );
  return [write(streamId, [...facts, ...violations]), ...incidents.writes];
};

/** Leak rule: who read (or borrowed) the item without being entitled (contract §5; 002 第9条). */
export const accessFinding = (cmd: Command, reader: PersonView, item: ItemRecord, what: string): Finding | null => {
  const check = readingCheck(reader, itemView(item)!);
  if (check.allowed) return null;
  // 004 脱密期: a departed person is flagged as such rather than as merely out of scope.
  const code: ViolationCode = check.reason === 'departed' ? 'ACCESS_AFTER_DEPARTURE' : 'OUT_OF_SCOPE_ACCESS';
  return {
    code,
    personId: reader.personId,
    incident: incidentKindFor(code),
    detail: `${what} by ${reader.personId} (${check.reason}) at ${cmd.at}`,
  };
};

/** Item events are typed literals; the store contract takes them as plain `{type, data}` records. */
export const write = (streamId: string, events: ItemEvent[]): StreamEvents => ({
  streamId,
  events: events as unknown as DomainEvent[],
});
export const single = (streamId: string, ...events: ItemEvent[]): StreamEvents[] => [write(streamId, events)];

// ---------------------------------------------------------------- the secrecy period

export interface PeriodInput {
  periodYears?: number;
  declassifyOn?: string;
  longTerm?: boolean;
}

export const checkPeriodShape = (p: PeriodInput): void => {
  const longTerm = p.longTerm === true;
  if (p.periodYears === undefined && p.declassifyOn === undefined && !longTerm) {
    throw new InvalidCommand('periodYears', 'periodYears, declassifyOn or longTerm is required');
  }
  if (longTerm && (p.periodYears !== undefined || p.declassifyOn !== undefined)) {
    throw new InvalidCommand('longTerm', 'a 长期 item has no periodYears or declassifyOn');
  }
  if (p.periodYears !== undefined && !(typeof p.periodYears === 'number' && p.periodYears > 0)) {
    throw new InvalidCommand('periodYears', 'must be a positive number of years');
  }
  if (p.declassifyOn !== undefined && Number.isNaN(ms(p.declassifyOn))) {
    throw new InvalidCommand('declassifyOn', 'must be an ISO-8601 instant');
  }
};
/** The end of the period counted from `from` (the issue date); null for 长期 (no fixed end). */
export const periodEnd = (from: string, p: PeriodInput): string | null =>
  p.longTerm === true
    ? null
    : p.declassifyOn !== undefined
      ? new Date(p.declassifyOn).toISOString()
      : addYears(from, p.periodYears ?? 0);
/** QX90 第3条: a period beyond the level's maximum, counted from `from`. 长期 is no fixed period, so never beyond it. */
export const exceedsMaximum = (level: Level, from: string, p: PeriodInput): boolean =>
  p.longTerm === true
    ? false
    : p.periodYears !== undefined
      ? p.periodYears > MAX_PERIOD_YEARS[level]
      : ms(periodEnd(from, p)!) > ms(addYears(from, MAX_PERIOD_YEARS[level]));

export const scopeOf = (scope: ItemScope | undefined): ItemScope => ({
  persons: uniq(scope?.persons ?? []),
  ...(scope?.ranks ? { ranks: [...scope.ranks] } : {}),
});

// ---------------------------------------------------------------- decide, per command

export type Decide<K extends ItemCommand['type']> = (cmd: CommandOf<K>, ctx: DecisionContext) => StreamEvents[];

/**
 * A receipt or a return made in time but entered after its deadline fired (a paper record typed in afterwards,
 * contract §5.1 2, as for a report entered late: docs/decisions.md): the flag was true of what the ledger knew when it
 * fired and stays in the history; the same command resolves it, its note naming both instants — an open "no receipt
 * within 48 h" beside a receipt signed within them would contradict itself. `item` is the item as it stood then.
 */
export const inTimeAfterAll = (
  cmd: Command,
  ctx: DecisionContext,
  item: ItemRecord,
  code: 'RECEIPT_MISSING' | 'LOAN_OVERDUE',
  dueAt: string,
  what: string,
): ViolationResolved[] => {
  if (ms(cmd.at) > ms(dueAt)) return [];
  const now = ctx.streams[itemStream(item.itemId)]?.now as ItemState | undefined;
  const violationId = (isItem(now) ? now : item).flagIds?.[flagKey(code, dueAt)];
  if (!violationId) return [];
  const note = `${what} at ${cmd.at}, within the deadline of ${new Date(dueAt).toISOString()}: entered after it fired`;
  return [resolution(cmd, violationId, note)];
};

/** Appends events to the write on one stream (the item's), keeping every other write as it is. */
export const appendTo = (writes: StreamEvents[], streamId: string, events: ItemEvent[]): StreamEvents[] =>
  events.length
    ? writes.map((w) =>
        w.streamId === streamId ? { ...w, events: [...w.events, ...(events as unknown as DomainEvent[])] } : w,
      )
    : writes;
