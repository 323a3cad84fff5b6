/** Classification (拟定 → 审核 → 批准, 004) and receipt (签收): how an item enters the ledger. */
import type { DecisionContext } from '../../shared/command';
import { refuse, InvalidCommand } from '../../shared/errors';
import { itemStream } from '../../shared/streams';
import { violation } from '../../rules/violations';
import type { ItemEvent } from '../item.events';
import { addYears } from '../item.deadlines';
import type { ItemRecord } from '../item.state';
import {
  MAX_PERIOD_YEARS,
  ms,
  loadedItem,
  personOf,
  placeOf,
  approverOf,
  requireRank,
  single,
  checkPeriodShape,
  periodEnd,
  exceedsMaximum,
  scopeOf,
  type Decide,
} from '../item.decide-kit';

export const proposeClassification: Decide<'ProposeClassification'> = (cmd, ctx) => {
  const d = cmd.data;
  const existing = loadedItem(ctx, d.itemId);
  // A returned draft may be proposed again (004: 拟定 → 审核; a return sends it back to 拟定).
  if (existing && !(existing.status === 'draft' && existing.review?.decision === 'return')) {
    throw refuse('ITEM_EXISTS', `${d.itemId} already exists`, 'itemId');
  }
  personOf(ctx, cmd.actor, 'actor');
  d.scope?.persons?.forEach((p) => personOf(ctx, p, 'scope.persons'));
  checkPeriodShape(d);
  if (d.declassifyOn !== undefined && ms(d.declassifyOn) <= ms(cmd.at))
    throw new InvalidCommand('declassifyOn', 'must be after the proposal');
  // QX90 第3条: 绝密 ≤ 30, 机密 ≤ 20, 秘密 ≤ 10 years; declassifyOn is compared against the proposal instant + maximum.
  if (exceedsMaximum(d.level, cmd.at, d)) {
    throw refuse(
      'PERIOD_EXCEEDS_MAXIMUM',
      `${d.level} periods are at most ${MAX_PERIOD_YEARS[d.level]} years`,
      'periodYears',
    );
  }
  return single(itemStream(d.itemId), {
    type: 'ClassificationProposed',
    data: {
      itemId: d.itemId,
      title: d.title,
      level: d.level,
      periodYears: d.periodYears ?? null,
      declassifyOn: d.declassifyOn !== undefined ? new Date(d.declassifyOn).toISOString() : null,
      basis: d.basis,
      carrier: d.carrier,
      scope: scopeOf(d.scope),
      copies: d.copies ?? null,
      copyAllowed: d.copyAllowed !== false,
      proposedBy: cmd.actor,
      ...(d.longTerm === true ? { longTerm: true } : {}),
      at: cmd.at,
    },
  } satisfies ItemEvent);
};

export const proposedDraft = (ctx: DecisionContext, itemId: string): ItemRecord => {
  const item = loadedItem(ctx, itemId);
  // 004: 审核/批准 follow 拟定; nothing proposed (or already classified) cannot be reviewed or approved.
  if (!item || item.status !== 'draft') throw refuse('NOT_PROPOSED', `${itemId} has no pending proposal`, 'itemId');
  return item;
};

export const reviewClassification: Decide<'ReviewClassification'> = (cmd, ctx) => {
  const item = proposedDraft(ctx, cmd.data.itemId);
  approverOf(ctx, cmd);
  // 004 拟定→审核: the review is a second pair of eyes, anyone but the proposer.
  if (cmd.actor === item.proposedBy) throw refuse('SELF_REVIEW', 'the proposer may not review the proposal', 'actor');
  return single(itemStream(item.itemId), {
    type: 'ClassificationReviewed',
    data: {
      itemId: item.itemId,
      decision: cmd.data.decision,
      note: cmd.data.note ?? null,
      reviewedBy: cmd.actor,
      at: cmd.at,
    },
  } satisfies ItemEvent);
};

export const approveClassification: Decide<'ApproveClassification'> = (cmd, ctx) => {
  const item = proposedDraft(ctx, cmd.data.itemId);
  const approver = approverOf(ctx, cmd);
  // 004 审核→批准: only an endorsed proposal (the latest review) can be approved.
  if (item.review?.decision !== 'endorse')
    throw refuse('NOT_REVIEWED', `${item.itemId} has no endorsing review`, 'itemId');
  // 002 第11条 / contract §5: executive for TOP_SECRET/SECRET, director+ for CONFIDENTIAL.
  requireRank(
    approver,
    item.level === 'CONFIDENTIAL' ? 'director' : 'executive',
    `approving a ${item.level} classification`,
  );
  // 长期 (contract §5.1 point 5): no end, so no automatic declassification.
  const declassifyOn = item.longTerm
    ? null
    : (item.proposedDeclassifyOn ?? addYears(cmd.at, item.periodYears ?? MAX_PERIOD_YEARS[item.level]));
  return single(itemStream(item.itemId), {
    type: 'ItemClassified',
    // The proposer becomes custodian; the approval instant is the issue date the period counts from.
    data: {
      itemId: item.itemId,
      level: item.level,
      approvedBy: cmd.actor,
      custodian: item.proposedBy ?? cmd.actor,
      issuedAt: cmd.at,
      declassifyOn,
      at: cmd.at,
    },
  } satisfies ItemEvent);
};

const DAY_MS = 24 * 3600 * 1000;

export const registerReceivedItem: Decide<'RegisterReceivedItem'> = (cmd, ctx) => {
  const d = cmd.data;
  if (loadedItem(ctx, d.itemId)) throw refuse('ITEM_EXISTS', `${d.itemId} already exists`, 'itemId');
  personOf(ctx, d.receivedBy, 'receivedBy');
  d.scope?.persons?.forEach((p) => personOf(ctx, p, 'scope.persons'));
  if (d.placeId) placeOf(ctx, d.placeId, 'placeId');
  checkPeriodShape(d);
  if (d.issuedOn !== undefined && Number.isNaN(ms(d.issuedOn)))
    throw new InvalidCommand('issuedOn', 'must be an ISO-8601 instant');
  // 001_6188e2007563e3a6.txt (QX90): 自标明的制发日起算; 不能标明制发日的, 自通知密级和保密期限之日算起 — the marked
  // issue date when there is one, else the receipt.
  const issuedAt = d.issuedOn !== undefined ? new Date(d.issuedOn).toISOString() : cmd.at;
  const declassifyOn = periodEnd(issuedAt, d);
  const received: ItemEvent = {
    type: 'ItemReceived',
    data: {
      itemId: d.itemId,
      title: d.title,
      level: d.level,
      periodYears: d.periodYears ?? null,
      basis: d.basis,
      carrier: d.carrier,
      sender: d.sender,
      receivedBy: d.receivedBy,
      scope: scopeOf(d.scope),
      copyNo: d.copyNo ?? null,
      copyAllowed: d.copyAllowed !== false,
      issuedAt,
      declassifyOn,
      // S2 第6篇: another organ classified it (by default the sender); only it may declassify, extend or re-level.
      classifiedBy: d.classifiedBy ?? d.sender,
      ...(d.longTerm === true ? { longTerm: true } : {}),
      placeId: d.placeId ?? null,
      at: cmd.at,
    },
  };
  const events: ItemEvent[] = [received];
  // QX90 第3条: a received item's marked period is a fact; beyond the maximum (or already over) it is flagged, not refused.
  // 001_6188e2007563e3a6.txt 自标明的制发日起算: an item is issued before it is received, so a marked issue date after
  // the receipt is a marking error that would stretch the period past the maximum from the true issue; flagged alike.
  // A date without a time is read as 00:00 UTC, up to a day off the office's calendar day, hence the day's grace.
  const issuedAfterReceipt = ms(issuedAt) > ms(cmd.at) + DAY_MS;
  if (
    exceedsMaximum(d.level, issuedAt, d) ||
    (declassifyOn !== null && ms(declassifyOn) <= ms(cmd.at)) ||
    issuedAfterReceipt
  ) {
    events.push(
      violation(cmd, 'PERIOD_INVALID', {
        itemId: d.itemId,
        personId: d.receivedBy,
        detail: issuedAfterReceipt
          ? `marked issue date ${issuedAt} is after the receipt at ${cmd.at}`
          : `${d.level} period ending ${declassifyOn} is beyond ${MAX_PERIOD_YEARS[d.level]} years or already over`,
      }),
    );
  }
  return single(itemStream(d.itemId), ...events);
};
