/**
 * The item stream's decider: every command of DESIGN §5 about one item (classification, custody moves, readings,
 * copies, loans, carry-outs, destruction, the secrecy period) and the item deadlines.
 *
 * Facts are recorded whenever they are well-formed and name registered persons, places and items; a rule they break
 * is a `ViolationDetected` beside them (DESIGN §2.1). Requests are refused with the codes of §5.
 */
import type { CommandOf, CustodyCommand } from '../commands';
import type { Command, DecisionContext, DomainEvent, IncidentKind, Needs, StreamEvents } from '../shared/command';
import { ApproverNotAuthorized, CommandRefused, InvalidCommand, UnknownReference } from '../shared/errors';
import { itemStream, parseStream, personStream, placeStream } from '../shared/streams';
import type { PersonView, PlaceView } from '../shared/views';
import type { ViolationDetected } from '../shared/violation';
import { atLeastRank, INSECURE_CHANNELS, type Level, type PlaceKind, type Rank } from '../shared/vocabulary';
import { personView, type PersonState } from '../person';
import { placeView, type PlaceState } from '../place';
import { incidentKindFor, incidentNeeds, incidentWrites, type IncidentCause } from '../incident/incident-policy';
import { readingCheck } from '../rules/reading-scope';
import { violation, violationIdFor, VIOLATION_RULES, type ViolationCode } from '../rules/violations';
import type { ItemEvent, ItemScope } from './item.events';
import { addHours, addYears, RECEIPT_HOURS } from './item.deadlines';
import { activeCarryOutApproval, flagKey, isItem, itemView, type ItemRecord, type ItemState } from './item.state';

export const ITEM_COMMANDS = [
  'ProposeClassification', 'ReviewClassification', 'ApproveClassification', 'RegisterReceivedItem', 'DispatchItem',
  'AcknowledgeReceipt', 'HandOver', 'RecordReading', 'ExtendScope', 'RequestCopy', 'ApproveCopy', 'RecordCopy', 'ApproveLoan',
  'RecordLoan', 'RecordReturn', 'ApproveCarryOut', 'RecordCarryOut', 'RecordBringBack', 'ArchiveItem', 'RecordGatePassage',
  'ApproveDestruction', 'RecordDestruction', 'ExtendSecrecyPeriod', 'DeclassifyItem', 'ChangeLevel', 'RecordLoss', 'FireDeadline',
] as const;
export type ItemCommand = Extract<CustodyCommand, { type: (typeof ITEM_COMMANDS)[number] }>;
export const isItemCommand = (c: CustodyCommand): c is ItemCommand => (ITEM_COMMANDS as readonly string[]).includes(c.type);

// ---------------------------------------------------------------- vocabulary of the rules

/** QX90 国家秘密保密期限的规定 第3条; 001_6188e2007563e3a6.txt: 绝密 ≤ 30, 机密 ≤ 20, 秘密 ≤ 10 years. */
export const MAX_PERIOD_YEARS: Record<Level, number> = { TOP_SECRET: 30, SECRET: 20, CONFIDENTIAL: 10 };

/** Approvable readings happen only here (001 (二)阅文保密 3: 在办公室或阅文室进行). */
const READING_PLACES: PlaceKind[] = ['reading-room', 'office'];
/** 001 (五)携带保密: never to social events, public places or home — so never approvable. */
const NEVER_APPROVABLE: PlaceKind[] = ['public', 'home'];

const ms = (iso: string): number => new Date(iso).getTime();
const uniq = (xs: string[]): string[] => [...new Set(xs)];

// ---------------------------------------------------------------- plan

const mergeNeeds = (...all: Needs[]): Needs => {
  const out: Needs = {};
  const streams = uniq(all.flatMap((n) => n.streams ?? []));
  const incidents = uniq(all.flatMap((n) => n.openIncidentsFor ?? []));
  if (streams.length) out.streams = streams;
  if (incidents.length) out.openIncidentsFor = incidents;
  return out;
};
const persons = (...ids: Array<string | undefined>): Needs => ({ streams: ids.filter((x): x is string => !!x).map(personStream) });
const places = (...ids: Array<string | undefined>): Needs => ({ streams: ids.filter((x): x is string => !!x).map(placeStream) });
const items = (...ids: string[]): Needs => ({ streams: ids.map(itemStream) });

const loadedItem = (ctx: DecisionContext, itemId: string): ItemRecord | null => {
  const s = ctx.streams[itemStream(itemId)]?.state as ItemState | undefined;
  return isItem(s) ? s : null;
};
/** Round two: the custodian's person stream (for loans, whose approval depends on the custodian's unit). */
const custodianNeeds = (ctx: DecisionContext, itemId: string): Needs => {
  const custodian = loadedItem(ctx, itemId)?.custodian;
  return custodian ? persons(custodian) : {};
};

export const planItem = (command: ItemCommand, ctx: DecisionContext): Needs => {
  switch (command.type) {
    case 'ProposeClassification':
      return mergeNeeds(items(command.data.itemId), persons(command.actor, ...(command.data.scope?.persons ?? [])));
    case 'ReviewClassification':
    case 'ApproveClassification':
    case 'ApproveDestruction':
    case 'ExtendSecrecyPeriod':
    case 'DeclassifyItem':
    case 'ChangeLevel':
    case 'ApproveCopy':
      return mergeNeeds(items(command.data.itemId), persons(command.actor));
    case 'RegisterReceivedItem':
      return mergeNeeds(items(command.data.itemId), persons(command.data.receivedBy, ...(command.data.scope?.persons ?? [])));
    case 'DispatchItem':
      return mergeNeeds(items(command.data.itemId), persons(command.actor, command.data.to, ...command.data.couriers),
        incidentNeeds([command.data.itemId], ctx));
    case 'AcknowledgeReceipt':
      return mergeNeeds(items(command.data.itemId), persons(command.data.by));
    case 'HandOver':
      return mergeNeeds(items(...command.data.items), persons(command.data.from, command.data.to, command.data.supervisor));
    case 'RecordReading':
      return mergeNeeds(items(command.data.itemId), persons(command.data.reader), places(command.data.placeId),
        incidentNeeds([command.data.itemId], ctx));
    case 'ExtendScope':
      return mergeNeeds(items(command.data.itemId), persons(command.actor, ...command.data.persons));
    case 'RequestCopy':
    case 'RecordReturn':
    case 'RecordGatePassage':
      return items(command.data.itemId);
    case 'RecordCopy':
      return items(command.data.itemId, command.data.copyItemId);
    case 'ApproveLoan':
      return mergeNeeds(items(command.data.itemId), persons(command.actor, command.data.borrower), custodianNeeds(ctx, command.data.itemId));
    case 'RecordLoan':
      return mergeNeeds(items(command.data.itemId), persons(command.data.borrower), custodianNeeds(ctx, command.data.itemId),
        incidentNeeds([command.data.itemId], ctx));
    case 'ApproveCarryOut':
      return mergeNeeds(items(command.data.itemId), persons(command.actor, command.data.person), places(command.data.destination));
    case 'RecordCarryOut':
      return mergeNeeds(items(command.data.itemId), persons(command.data.person), places(command.data.destination),
        incidentNeeds([command.data.itemId], ctx));
    case 'RecordBringBack':
      return mergeNeeds(items(command.data.itemId), persons(command.data.person), places(command.data.placeId));
    case 'ArchiveItem':
      return mergeNeeds(items(command.data.itemId), places(command.data.placeId));
    case 'RecordDestruction':
      return mergeNeeds(items(command.data.itemId), persons(...command.data.witnesses), places(command.data.placeId));
    case 'RecordLoss':
      return mergeNeeds(items(command.data.itemId), persons(command.data.discoveredBy), incidentNeeds([command.data.itemId], ctx));
    case 'FireDeadline':
      return { streams: [command.data.deadline.streamId] };
    default: {
      const unhandled: never = command;
      throw new Error(`item module cannot plan ${(unhandled as Command).type}`);
    }
  }
};

// ---------------------------------------------------------------- lookups (input errors, 404)

const itemOf = (ctx: DecisionContext, itemId: string, field = 'itemId'): ItemRecord => {
  const item = loadedItem(ctx, itemId);
  if (!item) throw new UnknownReference('UNKNOWN_ITEM', field, itemId);
  return item;
};
const maybePerson = (ctx: DecisionContext, personId: string): PersonView | null => {
  const loaded = ctx.streams[personStream(personId)];
  return loaded ? personView(loaded.state as PersonState) : null;
};
const personOf = (ctx: DecisionContext, personId: string, field: string): PersonView => {
  const p = maybePerson(ctx, personId);
  if (!p) throw new UnknownReference('UNKNOWN_PERSON', field, personId);
  return p;
};
const placeOf = (ctx: DecisionContext, placeId: string, field: string): PlaceView => {
  const loaded = ctx.streams[placeStream(placeId)];
  const p = loaded ? placeView(loaded.state as PlaceState) : null;
  if (!p) throw new UnknownReference('UNKNOWN_PLACE', field, placeId);
  return p;
};
/** DESIGN §7: an actor who gives an approval must be a registered person. */
const approverOf = (ctx: DecisionContext, cmd: Command): PersonView => personOf(ctx, cmd.actor, 'actor');

// ---------------------------------------------------------------- requests: common refusals

/** Requests on a destroyed item are refused; a destroyed item is locked (DESIGN §5). */
const requestable = (item: ItemRecord): ItemRecord => {
  if (item.status === 'destroyed') throw new CommandRefused('ITEM_DESTROYED', `${item.itemId} is destroyed`, 409);
  return item;
};
/** Requests that need an issued classification (a period, a custodian) are refused on a draft. */
const classified = (item: ItemRecord): ItemRecord => {
  requestable(item);
  if (item.status === 'draft') throw new CommandRefused('NOT_CLASSIFIED', `${item.itemId} is still a draft`, 409);
  return item;
};
const requireRank = (approver: PersonView, min: Rank, what: string): void => {
  if (!atLeastRank(approver.rank, min)) {
    throw new ApproverNotAuthorized(`${what} needs a ${min} or above; ${approver.personId} is ${approver.rank}`);
  }
};
/** 保密法 第24条 / DESIGN §5: period changes, declassification and level changes by the classification's approver or an executive. */
const requireClassifier = (approver: PersonView, item: ItemRecord, what: string): void => {
  if (approver.personId !== item.approvedBy && approver.rank !== 'executive') {
    throw new ApproverNotAuthorized(`${what} needs the classification's approver or an executive`);
  }
};

// ---------------------------------------------------------------- facts: violations beside the fact

interface Finding {
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
 * ACTIVITY_AFTER_DESTRUCTION and nothing else (DESIGN §5).
 */
const factWrites = (
  cmd: Command, ctx: DecisionContext, item: ItemRecord, facts: ItemEvent[], findings: () => Finding[], concerned: string | null = null,
): StreamEvents[] => {
  const streamId = itemStream(item.itemId);
  if (item.status === 'destroyed') {
    // 001 (十)销毁保密 / DESIGN §5: a destroyed item is locked; any later fact is itself the anomaly.
    const v = violation(cmd, 'ACTIVITY_AFTER_DESTRUCTION', {
      itemId: item.itemId, personId: concerned, detail: `${cmd.type} recorded after ${item.itemId} was destroyed`,
    });
    return [write(streamId, [...facts, v])];
  }
  // A declassified item is no longer secret: its custody is still recorded, its secrecy rules no longer apply.
  const found = item.declassified ? [] : findings();
  const causes: Array<IncidentCause & { kind: IncidentKind }> = found
    .filter((f): f is Finding & { incident: IncidentKind } => !!f.incident)
    .map((f) => ({
      itemId: item.itemId, code: f.code, personId: f.personId, kind: f.incident,
      violationId: violationIdFor(cmd, f.code, item.itemId, f.personId, f.idSuffix),
    }));
  const incidents = causes.length ? incidentWrites(cmd, causes, ctx) : { incidentIds: {} as Record<string, string>, writes: [] };
  const violations: ViolationDetected[] = found.map((f) =>
    violation(cmd, f.code, {
      itemId: item.itemId, personId: f.personId, detail: f.detail, level: item.level, idSuffix: f.idSuffix,
      incidentId: f.incident ? incidents.incidentIds[item.itemId] : undefined,
    }));
  return [write(streamId, [...facts, ...violations]), ...incidents.writes];
};

/** Leak rule: who read (or borrowed) the item without being entitled (DESIGN §5; 002 第9条). */
const accessFinding = (cmd: Command, reader: PersonView, item: ItemRecord, what: string): Finding | null => {
  const check = readingCheck(reader, itemView(item)!);
  if (check.allowed) return null;
  // 004 脱密期: a departed person is flagged as such rather than as merely out of scope.
  const code: ViolationCode = check.reason === 'departed' ? 'ACCESS_AFTER_DEPARTURE' : 'OUT_OF_SCOPE_ACCESS';
  return {
    code, personId: reader.personId, incident: incidentKindFor(code),
    detail: `${what} by ${reader.personId} (${check.reason}) at ${cmd.at}`,
  };
};

/** Item events are typed literals; the store contract takes them as plain `{type, data}` records. */
const write = (streamId: string, events: ItemEvent[]): StreamEvents => ({ streamId, events: events as unknown as DomainEvent[] });
const single = (streamId: string, ...events: ItemEvent[]): StreamEvents[] => [write(streamId, events)];

// ---------------------------------------------------------------- the secrecy period

interface PeriodInput { periodYears?: number; declassifyOn?: string }

const checkPeriodShape = (p: PeriodInput): void => {
  if (p.periodYears === undefined && p.declassifyOn === undefined) {
    throw new InvalidCommand('periodYears', 'periodYears or declassifyOn is required');
  }
  if (p.periodYears !== undefined && !(typeof p.periodYears === 'number' && p.periodYears > 0)) {
    throw new InvalidCommand('periodYears', 'must be a positive number of years');
  }
  if (p.declassifyOn !== undefined && Number.isNaN(ms(p.declassifyOn))) {
    throw new InvalidCommand('declassifyOn', 'must be an ISO-8601 instant');
  }
};
/** The end of the period counted from `from` (the issue date). */
const periodEnd = (from: string, p: PeriodInput): string =>
  p.declassifyOn !== undefined ? new Date(p.declassifyOn).toISOString() : addYears(from, p.periodYears ?? 0);
/** QX90 第3条: a period beyond the level's maximum, counted from `from`. */
const exceedsMaximum = (level: Level, from: string, p: PeriodInput): boolean =>
  p.periodYears !== undefined ? p.periodYears > MAX_PERIOD_YEARS[level] : ms(periodEnd(from, p)) > ms(addYears(from, MAX_PERIOD_YEARS[level]));

const scopeOf = (scope: ItemScope | undefined): ItemScope => ({
  persons: uniq(scope?.persons ?? []), ...(scope?.ranks ? { ranks: [...scope.ranks] } : {}),
});

// ---------------------------------------------------------------- decide, per command

type Decide<K extends ItemCommand['type']> = (cmd: CommandOf<K>, ctx: DecisionContext) => StreamEvents[];

const proposeClassification: Decide<'ProposeClassification'> = (cmd, ctx) => {
  const d = cmd.data;
  const existing = loadedItem(ctx, d.itemId);
  // A returned draft may be proposed again (004: 拟定 → 审核; a return sends it back to 拟定).
  if (existing && !(existing.status === 'draft' && existing.review?.decision === 'return')) {
    throw new CommandRefused('ITEM_EXISTS', `${d.itemId} already exists`, 409, 'itemId');
  }
  personOf(ctx, cmd.actor, 'actor');
  d.scope?.persons?.forEach((p) => personOf(ctx, p, 'scope.persons'));
  checkPeriodShape(d);
  if (d.declassifyOn !== undefined && ms(d.declassifyOn) <= ms(cmd.at)) throw new InvalidCommand('declassifyOn', 'must be after the proposal');
  // QX90 第3条: 绝密 ≤ 30, 机密 ≤ 20, 秘密 ≤ 10 years; declassifyOn is compared against the proposal instant + maximum.
  if (exceedsMaximum(d.level, cmd.at, d)) {
    throw new CommandRefused('PERIOD_EXCEEDS_MAXIMUM', `${d.level} periods are at most ${MAX_PERIOD_YEARS[d.level]} years`, 422, 'periodYears');
  }
  return single(itemStream(d.itemId), {
    type: 'ClassificationProposed',
    data: {
      itemId: d.itemId, title: d.title, level: d.level, periodYears: d.periodYears ?? null,
      declassifyOn: d.declassifyOn !== undefined ? new Date(d.declassifyOn).toISOString() : null, basis: d.basis, carrier: d.carrier,
      scope: scopeOf(d.scope), copies: d.copies ?? null, copyAllowed: d.copyAllowed !== false, proposedBy: cmd.actor, at: cmd.at,
    },
  } satisfies ItemEvent);
};

const proposedDraft = (ctx: DecisionContext, itemId: string): ItemRecord => {
  const item = loadedItem(ctx, itemId);
  // 004: 审核/批准 follow 拟定; nothing proposed (or already classified) cannot be reviewed or approved.
  if (!item || item.status !== 'draft') throw new CommandRefused('NOT_PROPOSED', `${itemId} has no pending proposal`, 409, 'itemId');
  return item;
};

const reviewClassification: Decide<'ReviewClassification'> = (cmd, ctx) => {
  const item = proposedDraft(ctx, cmd.data.itemId);
  approverOf(ctx, cmd);
  // 004 拟定→审核: the review is a second pair of eyes, anyone but the proposer.
  if (cmd.actor === item.proposedBy) throw new CommandRefused('SELF_REVIEW', 'the proposer may not review the proposal', 403, 'actor');
  return single(itemStream(item.itemId), {
    type: 'ClassificationReviewed',
    data: { itemId: item.itemId, decision: cmd.data.decision, note: cmd.data.note ?? null, reviewedBy: cmd.actor, at: cmd.at },
  } satisfies ItemEvent);
};

const approveClassification: Decide<'ApproveClassification'> = (cmd, ctx) => {
  const item = proposedDraft(ctx, cmd.data.itemId);
  const approver = approverOf(ctx, cmd);
  // 004 审核→批准: only an endorsed proposal (the latest review) can be approved.
  if (item.review?.decision !== 'endorse') throw new CommandRefused('NOT_REVIEWED', `${item.itemId} has no endorsing review`, 409, 'itemId');
  // 002 第11条 / DESIGN §5: executive for TOP_SECRET/SECRET, director+ for CONFIDENTIAL.
  requireRank(approver, item.level === 'CONFIDENTIAL' ? 'director' : 'executive', `approving a ${item.level} classification`);
  const declassifyOn = item.proposedDeclassifyOn ?? addYears(cmd.at, item.periodYears ?? MAX_PERIOD_YEARS[item.level]);
  return single(itemStream(item.itemId), {
    type: 'ItemClassified',
    // The proposer becomes custodian; the approval instant is the issue date the period counts from.
    data: { itemId: item.itemId, level: item.level, approvedBy: cmd.actor, custodian: item.proposedBy ?? cmd.actor, issuedAt: cmd.at, declassifyOn, at: cmd.at },
  } satisfies ItemEvent);
};

const registerReceivedItem: Decide<'RegisterReceivedItem'> = (cmd, ctx) => {
  const d = cmd.data;
  if (loadedItem(ctx, d.itemId)) throw new CommandRefused('ITEM_EXISTS', `${d.itemId} already exists`, 409, 'itemId');
  personOf(ctx, d.receivedBy, 'receivedBy');
  d.scope?.persons?.forEach((p) => personOf(ctx, p, 'scope.persons'));
  checkPeriodShape(d);
  const declassifyOn = periodEnd(cmd.at, d);
  const received: ItemEvent = {
    type: 'ItemReceived',
    data: {
      itemId: d.itemId, title: d.title, level: d.level, periodYears: d.periodYears ?? null, basis: d.basis, carrier: d.carrier,
      sender: d.sender, receivedBy: d.receivedBy, scope: scopeOf(d.scope), copyNo: d.copyNo ?? null, copyAllowed: d.copyAllowed !== false,
      // 签收: the receipt instant is the issue date the period counts from.
      issuedAt: cmd.at, declassifyOn, at: cmd.at,
    },
  };
  const events: ItemEvent[] = [received];
  // QX90 第3条: a received item's marked period is a fact; beyond the maximum (or already over) it is flagged, not refused.
  if (exceedsMaximum(d.level, cmd.at, d) || ms(declassifyOn) <= ms(cmd.at)) {
    events.push(violation(cmd, 'PERIOD_INVALID', {
      itemId: d.itemId, personId: d.receivedBy, detail: `${d.level} period ending ${declassifyOn} is beyond ${MAX_PERIOD_YEARS[d.level]} years or already over`,
    }));
  }
  return single(itemStream(d.itemId), ...events);
};

const dispatchItem: Decide<'DispatchItem'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = itemOf(ctx, d.itemId);
  personOf(ctx, d.to, 'to');
  const couriers = uniq(d.couriers).map((c) => personOf(ctx, c, 'couriers'));
  const fact: ItemEvent = {
    type: 'ItemDispatched',
    data: {
      itemId: item.itemId, from: item.custodian, to: d.to, channel: d.channel, couriers: uniq(d.couriers), approvalRef: d.approvalRef ?? null,
      custodian: couriers[0]?.personId ?? null, by: cmd.actor, at: cmd.at,
    },
  };
  return factWrites(cmd, ctx, item, [fact], () => {
    const found: Finding[] = [];
    // 保密法 第28/29条; 001 (四)传递保密: never ordinary post or express, not over public networks; encrypted fax needs an approval.
    if ((INSECURE_CHANNELS as readonly string[]).includes(d.channel) || (d.channel === 'encrypted-fax' && !d.approvalRef)) {
      found.push({ code: 'INSECURE_CHANNEL', personId: cmd.actor, incident: incidentKindFor('INSECURE_CHANNEL'), detail: `sent by ${d.channel}` });
    }
    // 001 (四)传递保密: 绝密文件应实行两人护送制.
    if (item.level === 'TOP_SECRET' && (d.channel === 'hand' || d.channel === 'courier') && couriers.length < 2) {
      found.push({ code: 'TS_ESCORT_LT2', personId: cmd.actor, detail: `TOP_SECRET carried by ${couriers.length} courier(s)` });
    }
    // 002 第20条 5: 严禁让试用期员工发送保密文件 — once per courier on probation; the dispatcher when carrying it alone.
    const onProbation = (p: PersonView) => p.probationUntil !== null && ms(p.probationUntil) > ms(cmd.at);
    const carriers = couriers.length ? couriers : d.channel === 'hand' ? [maybePerson(ctx, cmd.actor)].filter((p): p is PersonView => !!p) : [];
    for (const p of carriers.filter(onProbation)) {
      found.push({ code: 'TRIAL_EMPLOYEE_TRANSMIT', personId: p.personId, idSuffix: p.personId, detail: `${p.personId} is on probation until ${p.probationUntil}` });
    }
    return found;
  });
};

const acknowledgeReceipt: Decide<'AcknowledgeReceipt'> = (cmd, ctx) => {
  const item = itemOf(ctx, cmd.data.itemId);
  personOf(ctx, cmd.data.by, 'by');
  // 签收: custody passes to the receiver; a late receipt (after RECEIPT_MISSING) is still recorded.
  return factWrites(cmd, ctx, item, [{
    type: 'ReceiptAcknowledged', data: { itemId: item.itemId, by: cmd.data.by, dispatchRevision: item.dispatch?.revision ?? null, at: cmd.at },
  } satisfies ItemEvent], () => [], cmd.data.by);
};

const handOver: Decide<'HandOver'> = (cmd, ctx) => {
  const d = cmd.data;
  if (!d.items.length) throw new InvalidCommand('items', 'at least one item is handed over');
  const list = uniq(d.items).map((id) => itemOf(ctx, id, 'items'));
  personOf(ctx, d.from, 'from');
  personOf(ctx, d.to, 'to');
  if (d.supervisor) personOf(ctx, d.supervisor, 'supervisor');
  return list.flatMap((item) =>
    factWrites(cmd, ctx, item, [{
      type: 'ItemHandedOver',
      data: {
        itemId: item.itemId, handoverId: d.handoverId, from: d.from, to: d.to, itemized: d.itemized, signedByBoth: d.signedByBoth,
        supervisor: d.supervisor ?? null, at: cmd.at,
      },
    } satisfies ItemEvent], () =>
      // 001 (七)交接保密 / 002 第17条: 造册、核对、签字, 决不能搞"信任交接".
      d.itemized && d.signedByBoth
        ? []
        : [{ code: 'TRUST_HANDOVER', personId: d.from, detail: `handover ${d.handoverId}: ${d.itemized ? '' : 'not itemized '}${d.signedByBoth ? '' : 'not signed by both'}`.trim() }],
    d.to),
  );
};

const recordReading: Decide<'RecordReading'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = itemOf(ctx, d.itemId);
  const reader = personOf(ctx, d.reader, 'reader');
  const place = placeOf(ctx, d.placeId, 'placeId');
  const counted = READING_PLACES.includes(place.kind);
  const fact: ItemEvent = { type: 'ItemRead', data: { itemId: item.itemId, reader: d.reader, placeId: d.placeId, placeKind: place.kind, counted, at: cmd.at } };
  return factWrites(cmd, ctx, item, [fact], () => {
    const found: Finding[] = [];
    const access = accessFinding(cmd, reader, item, 'read');
    if (access) found.push(access);
    // 001 (二)阅文保密 3: 阅读秘密文件要在办公室或阅文室进行, 不得擅自带回家中.
    if (!counted) found.push({ code: 'READ_OUTSIDE_APPROVED_PLACE', personId: d.reader, detail: `read at ${d.placeId} (${place.kind})` });
    return found;
  }, d.reader);
};

const extendScope: Decide<'ExtendScope'> = (cmd, ctx) => {
  const item = classified(itemOf(ctx, cmd.data.itemId));
  const approver = approverOf(ctx, cmd);
  // 001 (二)阅文保密 2: 未经领导同意, 不得自行扩大阅读范围 — director+, executive for TOP_SECRET (DESIGN §5).
  requireRank(approver, item.level === 'TOP_SECRET' ? 'executive' : 'director', `extending the scope of a ${item.level} item`);
  if (!cmd.data.persons.length) throw new InvalidCommand('persons', 'at least one person');
  cmd.data.persons.forEach((p) => personOf(ctx, p, 'persons'));
  const added = uniq(cmd.data.persons).filter((p) => !item.extendedTo.includes(p));
  if (!added.length) return [];
  return single(itemStream(item.itemId), {
    type: 'ScopeExtended', data: { itemId: item.itemId, persons: added, approvedBy: cmd.actor, at: cmd.at },
  } satisfies ItemEvent);
};

const requestCopy: Decide<'RequestCopy'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = classified(itemOf(ctx, d.itemId));
  if (!(Number.isInteger(d.copies) && d.copies > 0)) throw new InvalidCommand('copies', 'must be a positive whole number');
  // 001: copyAllowed false marks an item that may not be reproduced at all.
  if (!item.copyAllowed) throw new CommandRefused('COPY_NOT_ALLOWED', `${item.itemId} may not be copied`, 422, 'itemId');
  const existing = item.copyRequests[d.requestId];
  if (existing) {
    if (existing.copies === d.copies) return [];
    throw new CommandRefused('REQUEST_EXISTS', `copy request ${d.requestId} already exists`, 409, 'requestId');
  }
  return single(itemStream(item.itemId), {
    type: 'CopyRequested', data: { itemId: item.itemId, requestId: d.requestId, copies: d.copies, requestedBy: cmd.actor, at: cmd.at },
  } satisfies ItemEvent);
};

const approveCopy: Decide<'ApproveCopy'> = (cmd, ctx) => {
  const item = classified(itemOf(ctx, cmd.data.itemId));
  const approver = approverOf(ctx, cmd);
  const request = item.copyRequests[cmd.data.requestId];
  if (!request) throw new CommandRefused('NOT_REQUESTED', `no copy request ${cmd.data.requestId} on ${item.itemId}`, 409, 'requestId');
  // 002 第21条: 绝密/机密 copies need the general manager (executive); others the department head (manager+).
  requireRank(approver, item.level === 'CONFIDENTIAL' ? 'manager' : 'executive', `approving a copy of a ${item.level} item`);
  if (request.approvedBy) return [];
  return single(itemStream(item.itemId), {
    type: 'CopyApproved', data: { itemId: item.itemId, requestId: cmd.data.requestId, approvedBy: cmd.actor, at: cmd.at },
  } satisfies ItemEvent);
};

const recordCopy: Decide<'RecordCopy'> = (cmd, ctx) => {
  const d = cmd.data;
  const source = itemOf(ctx, d.itemId);
  if (d.copyItemId === d.itemId) throw new InvalidCommand('copyItemId', 'a copy needs an id of its own');
  if (loadedItem(ctx, d.copyItemId) || (ctx.streams[itemStream(d.copyItemId)]?.revision ?? -1) >= 0) {
    throw new CommandRefused('ITEM_EXISTS', `${d.copyItemId} already exists`, 409, 'copyItemId');
  }
  const copied: ItemEvent = { type: 'ItemCopied', data: { itemId: source.itemId, copyItemId: d.copyItemId, requestId: d.requestId ?? null, by: cmd.actor, at: cmd.at } };
  // 001 (三): 复印件要等同原件一样管理 — the copy inherits level, period, scope and extensions; its custodian is the actor.
  const registered: ItemEvent = {
    type: 'CopyRegistered',
    data: {
      itemId: d.copyItemId, copyOf: source.itemId, title: source.title, level: source.level, basis: source.basis, carrier: source.carrier,
      scope: scopeOf(source.scope), extendedTo: [...source.extendedTo], issuedAt: source.issuedAt, declassifyOn: source.declassifyOn,
      copyNo: source.copies.length + 1, copyAllowed: source.copyAllowed, approvedBy: source.approvedBy, custodian: cmd.actor,
      placeId: source.placeId, at: cmd.at,
    },
  };
  const onSource = factWrites(cmd, ctx, source, [copied], () => {
    const request = d.requestId ? source.copyRequests[d.requestId] : undefined;
    // 002 第21条 / 001: every copy needs an approval. Copying is not reading: no scope check here.
    if (!request || !request.approvedBy) {
      return [{ code: 'COPY_UNAPPROVED', personId: cmd.actor, detail: d.requestId ? `request ${d.requestId} is not approved` : 'no copy request' }];
    }
    // 001 不得擅自多印多留; 002 第21条 4: the approval is used up by the copies it approves.
    if (request.used >= request.copies) {
      return [{ code: 'COPY_COUNT_EXCEEDED', personId: cmd.actor, detail: `request ${d.requestId} approved ${request.copies} copy(ies), all used` }];
    }
    return [];
  }, cmd.actor);
  return [...onSource, write(itemStream(d.copyItemId), [registered])];
};

const loanCoverage = (item: ItemRecord, loanId: string, borrower: string): string[] => {
  const a = item.loanApprovals[loanId];
  return a && a.borrower === borrower ? a.units : [];
};
/** 002 第22条: 借阅方和提供方领导签字批准 — the units whose approval a loan needs. */
const unitsToApprove = (ctx: DecisionContext, item: ItemRecord, borrower: PersonView): string[] =>
  uniq([borrower.unit, ...(item.custodian ? [maybePerson(ctx, item.custodian)?.unit] : [])].filter((u): u is string => !!u));

const approveLoan: Decide<'ApproveLoan'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = classified(itemOf(ctx, d.itemId));
  const approver = approverOf(ctx, cmd);
  const borrower = personOf(ctx, d.borrower, 'borrower');
  // 002 第22条: leaders (manager+) of both the lending and the borrowing side.
  requireRank(approver, 'manager', 'approving a loan');
  const needed = unitsToApprove(ctx, item, borrower);
  // An executive leads every unit; a manager or director speaks for their own unit only.
  const covers = approver.rank === 'executive' ? ['*'] : [approver.unit];
  if (approver.rank !== 'executive' && !needed.includes(approver.unit)) {
    throw new ApproverNotAuthorized(`${approver.personId} (${approver.unit}) leads neither the lending nor the borrowing unit (${needed.join(', ')})`);
  }
  if (Number.isNaN(ms(d.dueAt)) || ms(d.dueAt) <= ms(cmd.at)) throw new InvalidCommand('dueAt', 'must be later than the approval');
  const have = loanCoverage(item, d.loanId, d.borrower);
  if (covers.every((u) => have.includes(u))) return [];
  return single(itemStream(item.itemId), {
    type: 'LoanApproved',
    data: { itemId: item.itemId, loanId: d.loanId, borrower: d.borrower, dueAt: d.dueAt, approvedBy: cmd.actor, unit: approver.unit, covers, at: cmd.at },
  } satisfies ItemEvent);
};

const recordLoan: Decide<'RecordLoan'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = itemOf(ctx, d.itemId);
  const borrower = personOf(ctx, d.borrower, 'borrower');
  const have = loanCoverage(item, d.loanId, d.borrower);
  const approved = have.includes('*') || unitsToApprove(ctx, item, borrower).every((u) => have.includes(u));
  const fact: ItemEvent = {
    type: 'ItemLent', data: { itemId: item.itemId, loanId: d.loanId, lender: item.custodian, borrower: d.borrower, dueAt: d.dueAt, approved, at: cmd.at },
  };
  return factWrites(cmd, ctx, item, [fact], () => {
    const found: Finding[] = [];
    // 002 第22条: a loan needs the approval of both sides' leaders.
    if (!approved) found.push({ code: 'LOAN_UNAPPROVED', personId: d.borrower, detail: `loan ${d.loanId} is not approved by every unit concerned` });
    // 002 第25条 3: only persons within the distribution range may borrow.
    const access = accessFinding(cmd, borrower, item, 'lent');
    if (access) found.push(access);
    return found;
  }, d.borrower);
};

const recordReturn: Decide<'RecordReturn'> = (cmd, ctx) => {
  const item = itemOf(ctx, cmd.data.itemId);
  if (item.status !== 'destroyed' && item.loan?.loanId !== cmd.data.loanId) {
    throw new InvalidCommand('loanId', `${item.itemId} is not on loan ${cmd.data.loanId}`);
  }
  // A return gives custody back to the lender (DESIGN §5).
  return factWrites(cmd, ctx, item, [{
    type: 'ItemReturned', data: { itemId: item.itemId, loanId: cmd.data.loanId, returnedTo: item.loan?.lender ?? null, at: cmd.at },
  } satisfies ItemEvent], () => []);
};

const approveCarryOut: Decide<'ApproveCarryOut'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = classified(itemOf(ctx, d.itemId));
  const approver = approverOf(ctx, cmd);
  personOf(ctx, d.person, 'person');
  const destination = placeOf(ctx, d.destination, 'destination');
  // 001 (五)携带保密: 要经领导审批 — director+ (DESIGN §5).
  requireRank(approver, 'director', 'approving a carry-out');
  // 001 (五)携带保密; 002 第13条: never to public places or home, so no approval can cover them.
  if (NEVER_APPROVABLE.includes(destination.kind)) {
    throw new CommandRefused('DESTINATION_NOT_APPROVABLE', `${d.destination} is a ${destination.kind} place`, 422, 'destination');
  }
  if (Number.isNaN(ms(d.until)) || ms(d.until) <= ms(cmd.at)) throw new InvalidCommand('until', 'must be later than the approval');
  return single(itemStream(item.itemId), {
    type: 'CarryOutApproved', data: { itemId: item.itemId, person: d.person, destination: d.destination, until: d.until, approvedBy: cmd.actor, at: cmd.at },
  } satisfies ItemEvent);
};

const recordCarryOut: Decide<'RecordCarryOut'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = itemOf(ctx, d.itemId);
  personOf(ctx, d.person, 'person');
  const destination = placeOf(ctx, d.destination, 'destination');
  const approved = !NEVER_APPROVABLE.includes(destination.kind) && activeCarryOutApproval(item, cmd.at, d.person, d.destination) >= 0;
  const fact: ItemEvent = {
    type: 'ItemCarriedOut', data: { itemId: item.itemId, person: d.person, destination: d.destination, destinationKind: destination.kind, approved, at: cmd.at },
  };
  return factWrites(cmd, ctx, item, [fact], () =>
    approved
      ? []
      : [{
          // 001 (五)携带保密 (the secretary case): a carry-out to a public place or home opens a suspected leak.
          code: 'CARRY_OUT_UNAPPROVED', personId: d.person, incident: incidentKindFor('CARRY_OUT_UNAPPROVED', { destinationKind: destination.kind }),
          detail: `carried to ${d.destination} (${destination.kind}) without an active approval`,
        }],
  d.person);
};

const recordBringBack: Decide<'RecordBringBack'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = itemOf(ctx, d.itemId);
  personOf(ctx, d.person, 'person');
  if (d.placeId) placeOf(ctx, d.placeId, 'placeId');
  return factWrites(cmd, ctx, item, [{
    type: 'ItemBroughtBack', data: { itemId: item.itemId, person: d.person, placeId: d.placeId ?? null, at: cmd.at },
  } satisfies ItemEvent], () => [], d.person);
};

const archiveItem: Decide<'ArchiveItem'> = (cmd, ctx) => {
  const item = itemOf(ctx, cmd.data.itemId);
  placeOf(ctx, cmd.data.placeId, 'placeId');
  // 001 (八)归档: the archive keeper (the actor) becomes custodian.
  return factWrites(cmd, ctx, item, [{
    type: 'ItemArchived', data: { itemId: item.itemId, placeId: cmd.data.placeId, keeper: cmd.actor, at: cmd.at },
  } satisfies ItemEvent], () => [], cmd.actor);
};

const recordGatePassage: Decide<'RecordGatePassage'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = itemOf(ctx, d.itemId);
  const fact: ItemEvent = { type: 'GatePassed', data: { itemId: item.itemId, gate: d.gate, direction: d.direction, at: cmd.at } };
  return factWrites(cmd, ctx, item, [fact], () => {
    if (d.direction === 'in') return [];
    // RFID door (RULEBOOK products): an exit is covered by an active approval, or by a carry-out made under one;
    // the gate does not use the approval up.
    const covered = activeCarryOutApproval(item, cmd.at) >= 0 || (item.status === 'carried-out' && item.carriedOutApproved);
    return covered ? [] : [{ code: 'CARRY_OUT_UNAPPROVED', personId: item.custodian, detail: `left through ${d.gate} without a carry-out approval` }];
  }, item.custodian);
};

const approveDestruction: Decide<'ApproveDestruction'> = (cmd, ctx) => {
  const item = classified(itemOf(ctx, cmd.data.itemId));
  const approver = approverOf(ctx, cmd);
  // 001 (十)销毁保密: 必须先经领导审批 — director+, executive for TOP_SECRET (DESIGN §5).
  requireRank(approver, item.level === 'TOP_SECRET' ? 'executive' : 'director', `approving the destruction of a ${item.level} item`);
  if (item.destructionApproved) return [];
  return single(itemStream(item.itemId), { type: 'DestructionApproved', data: { itemId: item.itemId, approvedBy: cmd.actor, at: cmd.at } } satisfies ItemEvent);
};

const recordDestruction: Decide<'RecordDestruction'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = itemOf(ctx, d.itemId);
  placeOf(ctx, d.placeId, 'placeId');
  d.witnesses.forEach((w) => personOf(ctx, w, 'witnesses'));
  const fact: ItemEvent = {
    type: 'ItemDestroyed',
    data: { itemId: item.itemId, method: d.method, placeId: d.placeId, witnesses: uniq(d.witnesses), destroyedBy: cmd.actor, approved: item.destructionApproved, at: cmd.at },
  };
  return factWrites(cmd, ctx, item, [fact], () => {
    const found: Finding[] = [];
    // 001 (十)销毁保密: 必须先经领导审批.
    if (!item.destructionApproved) found.push({ code: 'DESTRUCTION_UNAPPROVED', personId: cmd.actor, detail: 'destroyed without an approval' });
    // 002 第25条 5: 指定专人监销, 两人以上参加 — the destroyer does not supervise themself.
    const supervisors = uniq(d.witnesses).filter((w) => w !== cmd.actor);
    if (supervisors.length < 2) {
      found.push({ code: 'DESTRUCTION_WITNESSES_LT2', personId: cmd.actor, detail: `${supervisors.length} supervising witness(es)` });
    }
    return found;
  }, cmd.actor);
};

const extendSecrecyPeriod: Decide<'ExtendSecrecyPeriod'> = (cmd, ctx) => {
  const item = classified(itemOf(ctx, cmd.data.itemId));
  const approver = approverOf(ctx, cmd);
  requireClassifier(approver, item, 'extending the secrecy period');
  const next = cmd.data.newDeclassifyOn;
  if (Number.isNaN(ms(next))) throw new InvalidCommand('newDeclassifyOn', 'must be an ISO-8601 instant');
  // 保密法 第24条: an extension is decided before the period ends; after it, the item is declassified.
  if (item.declassified || !item.declassifyOn || ms(cmd.at) >= ms(item.declassifyOn)) {
    throw new CommandRefused('PERIOD_ALREADY_EXPIRED', `the secrecy period of ${item.itemId} has ended`, 422, 'newDeclassifyOn');
  }
  if (ms(next) <= ms(item.declassifyOn)) throw new InvalidCommand('newDeclassifyOn', 'an extension ends later than the current period');
  // QX90 第3条: the maximum counts from the issue date.
  const issued = item.issuedAt ?? cmd.at;
  if (ms(next) > ms(addYears(issued, MAX_PERIOD_YEARS[item.level]))) {
    throw new CommandRefused('PERIOD_EXCEEDS_MAXIMUM', `${item.level} periods are at most ${MAX_PERIOD_YEARS[item.level]} years from ${issued}`, 422, 'newDeclassifyOn');
  }
  return single(itemStream(item.itemId), {
    type: 'SecrecyPeriodExtended',
    data: { itemId: item.itemId, previousDeclassifyOn: item.declassifyOn, newDeclassifyOn: new Date(next).toISOString(), approvedBy: cmd.actor, at: cmd.at },
  } satisfies ItemEvent);
};

const declassifyItem: Decide<'DeclassifyItem'> = (cmd, ctx) => {
  const item = classified(itemOf(ctx, cmd.data.itemId));
  const approver = approverOf(ctx, cmd);
  // 保密法 第24条: declassified by the classifier (or a superior).
  requireClassifier(approver, item, 'declassifying');
  if (item.declassified) return [];
  return single(itemStream(item.itemId), {
    type: 'ItemDeclassified', data: { itemId: item.itemId, reason: cmd.data.reason, automatic: false, by: cmd.actor, at: cmd.at },
  } satisfies ItemEvent);
};

const changeLevel: Decide<'ChangeLevel'> = (cmd, ctx) => {
  const item = classified(itemOf(ctx, cmd.data.itemId));
  const approver = approverOf(ctx, cmd);
  requireClassifier(approver, item, 'changing the level');
  if (item.level === cmd.data.level) return [];
  return single(itemStream(item.itemId), {
    type: 'LevelChanged', data: { itemId: item.itemId, from: item.level, to: cmd.data.level, reason: cmd.data.reason ?? null, approvedBy: cmd.actor, at: cmd.at },
  } satisfies ItemEvent);
};

const recordLoss: Decide<'RecordLoss'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = itemOf(ctx, d.itemId);
  personOf(ctx, d.discoveredBy, 'discoveredBy');
  const lost = (incidentId: string | null): ItemEvent => ({
    type: 'ItemLost', data: { itemId: item.itemId, discoveredBy: d.discoveredBy, circumstances: d.circumstances, incidentId, at: cmd.at },
  });
  if (item.status === 'destroyed') return factWrites(cmd, ctx, item, [lost(null)], () => [], d.discoveredBy);
  // A declassified item is no longer secret: its loss is recorded, it is no secrecy incident.
  if (item.declassified) return single(itemStream(item.itemId), lost(null));
  // 001 (九)清查保密: 发现有丢失的要及时追查 — a loss opens (or joins) a `loss` incident; nobody holds the item.
  const kind = incidentKindFor('ItemLost') ?? 'loss';
  const { incidentIds, writes } = incidentWrites(cmd, [{ itemId: item.itemId, code: 'ItemLost', violationId: null, personId: d.discoveredBy, kind }], ctx);
  return [write(itemStream(item.itemId), [lost(incidentIds[item.itemId] ?? null)]), ...writes];
};

/** Deadlines fire at their due instant; each flags once, and only when the obligation is still unmet. */
const fireDeadline: Decide<'FireDeadline'> = (cmd, ctx) => {
  const deadline = cmd.data.deadline;
  const item = loadedItem(ctx, parseStream(deadline.streamId)?.id ?? '');
  if (!item || item.status === 'destroyed' || item.status === 'draft') return [];
  const streamId = itemStream(item.itemId);
  const at = { commandId: cmd.commandId, at: deadline.dueAt };
  const flagged = (code: ViolationCode) => item.flagged.includes(flagKey(code, deadline.dueAt));
  const due = ms(deadline.dueAt);
  switch (deadline.kind) {
    case 'RECEIPT_MISSING': {
      // 001 (一)收文保密: 件件有着落 — 48 h after the dispatch and still no receipt.
      const pending = item.dispatch;
      if (!pending || flagged('RECEIPT_MISSING')) return [];
      if (deadline.ref !== undefined ? deadline.ref !== String(pending.revision) : ms(addHours(pending.at, RECEIPT_HOURS)) !== due) return [];
      return single(streamId, violation(at, 'RECEIPT_MISSING', {
        itemId: item.itemId, personId: pending.to, detail: `no receipt from ${pending.to} within ${RECEIPT_HOURS} h of the dispatch at ${pending.at}`,
      }));
    }
    case 'LOAN_OVERDUE': {
      // 001 (九)清查保密: 借出去的应按时清退.
      const loan = item.loan;
      if (!loan || flagged('LOAN_OVERDUE') || ms(loan.dueAt) !== due || (deadline.ref !== undefined && deadline.ref !== loan.loanId)) return [];
      return single(streamId, violation(at, 'LOAN_OVERDUE', { itemId: item.itemId, personId: loan.borrower, detail: `loan ${loan.loanId} was due at ${loan.dueAt}` }));
    }
    case 'DECLASSIFY':
      // 保密法 第24条: 保密期限已满的, 自行解密 — unless extended before (the extension moved declassifyOn).
      if (item.declassified || !item.declassifyOn || ms(item.declassifyOn) !== due) return [];
      return single(streamId, {
        type: 'ItemDeclassified', data: { itemId: item.itemId, reason: 'secrecy period expired', automatic: true, by: null, at: deadline.dueAt },
      } satisfies ItemEvent);
    case 'TS_INVENTORY_OVERDUE': {
      // 001 (九)清查保密: a TOP_SECRET item must be sighted by an inventory at least once a year.
      if (item.level !== 'TOP_SECRET' || item.declassified || flagged('TS_INVENTORY_OVERDUE')) return [];
      if (item.lastSightedAt && ms(item.lastSightedAt) > ms(addYears(deadline.dueAt, -1))) return [];
      return single(streamId, violation(at, 'TS_INVENTORY_OVERDUE', {
        itemId: item.itemId, personId: item.custodian, detail: `not sighted by an inventory in the year to ${deadline.dueAt}`,
      }));
    }
    default:
      // Incident deadlines are decided by the incident module.
      return [];
  }
};

export const decideItem = (command: ItemCommand, ctx: DecisionContext): StreamEvents[] => {
  switch (command.type) {
    case 'ProposeClassification': return proposeClassification(command, ctx);
    case 'ReviewClassification': return reviewClassification(command, ctx);
    case 'ApproveClassification': return approveClassification(command, ctx);
    case 'RegisterReceivedItem': return registerReceivedItem(command, ctx);
    case 'DispatchItem': return dispatchItem(command, ctx);
    case 'AcknowledgeReceipt': return acknowledgeReceipt(command, ctx);
    case 'HandOver': return handOver(command, ctx);
    case 'RecordReading': return recordReading(command, ctx);
    case 'ExtendScope': return extendScope(command, ctx);
    case 'RequestCopy': return requestCopy(command, ctx);
    case 'ApproveCopy': return approveCopy(command, ctx);
    case 'RecordCopy': return recordCopy(command, ctx);
    case 'ApproveLoan': return approveLoan(command, ctx);
    case 'RecordLoan': return recordLoan(command, ctx);
    case 'RecordReturn': return recordReturn(command, ctx);
    case 'ApproveCarryOut': return approveCarryOut(command, ctx);
    case 'RecordCarryOut': return recordCarryOut(command, ctx);
    case 'RecordBringBack': return recordBringBack(command, ctx);
    case 'ArchiveItem': return archiveItem(command, ctx);
    case 'RecordGatePassage': return recordGatePassage(command, ctx);
    case 'ApproveDestruction': return approveDestruction(command, ctx);
    case 'RecordDestruction': return recordDestruction(command, ctx);
    case 'ExtendSecrecyPeriod': return extendSecrecyPeriod(command, ctx);
    case 'DeclassifyItem': return declassifyItem(command, ctx);
    case 'ChangeLevel': return changeLevel(command, ctx);
    case 'RecordLoss': return recordLoss(command, ctx);
    case 'FireDeadline': return fireDeadline(command, ctx);
    default: {
      const unhandled: never = command;
      throw new Error(`item module cannot decide ${(unhandled as Command).type}`);
    }
  }
};

/**
 * What an inventory appends to an item's stream when it closes without sighting the item (DESIGN §5): the
 * `ItemMissing` fact (status `missing`, nobody holds it) and its ITEM_MISSING violation (critical), which opened or
 * joined the `loss` incident `incidentId`.
 */
export const itemMissingEvents = (args: {
  itemId: string; inventoryId: string; at: string; violationId: string; incidentId?: string;
  /** The custodian it went missing from, if known. */
  personId?: string | null;
}): DomainEvent[] => {
  const rule = VIOLATION_RULES.ITEM_MISSING;
  const missing: ItemEvent = {
    type: 'ItemMissing',
    data: { itemId: args.itemId, inventoryId: args.inventoryId, at: args.at, ...(args.incidentId ? { incidentId: args.incidentId } : {}) },
  };
  const flagged: ViolationDetected = {
    type: 'ViolationDetected',
    data: {
      violationId: args.violationId, code: 'ITEM_MISSING', severity: rule.severity, itemId: args.itemId, personId: args.personId ?? null, source: rule.source,
      detail: `not sighted by inventory ${args.inventoryId}`, at: args.at, ...(args.incidentId ? { incidentId: args.incidentId } : {}),
    },
  };
  return [missing, flagged] as unknown as DomainEvent[];
};
