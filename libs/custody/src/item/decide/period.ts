/**
 * The secrecy period: extension before expiry, declassification, level changes (保密法 第24条), and the originating
 * organ's notice about an item classified elsewhere. Every decision binds each copy in the item's tree in the same
 * command (contract §5.1 point 4; 001_6188e2007563e3a6.txt (三)5: 复印件要等同原件一样管理).
 */
import type { DecisionContext, StreamEvents } from '../../shared/command';
import { refuse, InvalidCommand } from '../../shared/errors';
import { itemStream } from '../../shared/streams';
import type { Level } from '../../shared/vocabulary';
import type { ItemEvent } from '../item.events';
import { addYears } from '../item.deadlines';
import type { ItemRecord } from '../item.state';
import {
  MAX_PERIOD_YEARS,
  ms,
  itemOf,
  approverOf,
  classified,
  notACopy,
  ownClassification,
  onCopies,
  requireClassifier,
  factWrites,
  write,
  type Decide,
} from '../item.decide-kit';

/** Who decided and why, as the copies' events carry it. */
interface Because {
  original: string;
  noticeRef?: string;
}
const because = (b: Because) => ({ followsOriginal: b.original, ...(b.noticeRef ? { noticeRef: b.noticeRef } : {}) });

/** The events an extension writes: on the item, then on every copy. */
const extensionWrites = (
  ctx: DecisionContext,
  item: ItemRecord,
  next: string,
  approvedBy: string,
  at: string,
  noticeRef?: string,
): StreamEvents[] => {
  const newDeclassifyOn = new Date(next).toISOString();
  const event = (c: ItemRecord, extra: object): ItemEvent => ({
    type: 'SecrecyPeriodExtended',
    data: { itemId: c.itemId, previousDeclassifyOn: c.declassifyOn, newDeclassifyOn, approvedBy, at, ...extra },
  });
  return [
    write(itemStream(item.itemId), [event(item, noticeRef ? { noticeRef } : {})]),
    ...onCopies(ctx, item, (c) => (c.declassified ? null : event(c, because({ original: item.itemId, noticeRef })))),
  ];
};

/** The events a declassification writes: on the item (unless it already is), then on every copy that is not. */
export const declassificationWrites = (
  ctx: DecisionContext,
  item: ItemRecord,
  d: { reason: string; automatic: boolean; by: string | null; at: string; noticeRef?: string },
): StreamEvents[] => {
  const event = (c: ItemRecord, extra: object): ItemEvent => ({
    type: 'ItemDeclassified',
    data: { itemId: c.itemId, reason: d.reason, automatic: d.automatic, by: d.by, at: d.at, ...extra },
  });
  return [
    ...(item.declassified
      ? []
      : [write(itemStream(item.itemId), [event(item, d.noticeRef ? { noticeRef: d.noticeRef } : {})])]),
    ...onCopies(ctx, item, (c) =>
      c.declassified ? null : event(c, because({ original: item.itemId, noticeRef: d.noticeRef })),
    ),
  ];
};

/** The events a level change writes: on the item, then on every copy whose level differs. */
const levelWrites = (
  ctx: DecisionContext,
  item: ItemRecord,
  to: Level,
  d: { reason: string | null; approvedBy: string; at: string; noticeRef?: string },
): StreamEvents[] => {
  const event = (c: ItemRecord, extra: object): ItemEvent => ({
    type: 'LevelChanged',
    data: { itemId: c.itemId, from: c.level, to, reason: d.reason, approvedBy: d.approvedBy, at: d.at, ...extra },
  });
  return [
    ...(item.level === to
      ? []
      : [write(itemStream(item.itemId), [event(item, d.noticeRef ? { noticeRef: d.noticeRef } : {})])]),
    ...onCopies(ctx, item, (c) =>
      c.level === to ? null : event(c, because({ original: item.itemId, noticeRef: d.noticeRef })),
    ),
  ];
};

/** QX90 第3条: the maximum counts from the issue date. */
const beyondMaximum = (item: ItemRecord, level: Level, end: string | null): boolean =>
  end !== null && ms(end) > ms(addYears(item.issuedAt ?? end, MAX_PERIOD_YEARS[level]));

export const extendSecrecyPeriod: Decide<'ExtendSecrecyPeriod'> = (cmd, ctx) => {
  const item = classified(itemOf(ctx, cmd.data.itemId));
  const approver = approverOf(ctx, cmd);
  ownClassification(item, 'extending');
  notACopy(item);
  requireClassifier(approver, item, 'extending the secrecy period');
  const next = cmd.data.newDeclassifyOn;
  if (Number.isNaN(ms(next))) throw new InvalidCommand('newDeclassifyOn', 'must be an ISO-8601 instant');
  if (item.longTerm && !item.declassified)
    throw new InvalidCommand('newDeclassifyOn', `${item.itemId} is 长期 (long-term): it has no period to extend`);
  // 保密法 第24条: an extension is decided before the period ends; after it, the item is declassified.
  if (item.declassified || !item.declassifyOn || ms(cmd.at) >= ms(item.declassifyOn)) {
    throw refuse('PERIOD_ALREADY_EXPIRED', `the secrecy period of ${item.itemId} has ended`, 'newDeclassifyOn');
  }
  if (ms(next) <= ms(item.declassifyOn))
    throw new InvalidCommand('newDeclassifyOn', 'an extension ends later than the current period');
  if (beyondMaximum(item, item.level, next)) {
    throw refuse(
      'PERIOD_EXCEEDS_MAXIMUM',
      `${item.level} periods are at most ${MAX_PERIOD_YEARS[item.level]} years from ${item.issuedAt}`,
      'newDeclassifyOn',
    );
  }
  return extensionWrites(ctx, item, next, cmd.actor, cmd.at);
};

export const declassifyItem: Decide<'DeclassifyItem'> = (cmd, ctx) => {
  const item = classified(itemOf(ctx, cmd.data.itemId));
  const approver = approverOf(ctx, cmd);
  ownClassification(item, 'declassifying');
  notACopy(item);
  // 保密法 第24条: declassified by the classifier (or a superior).
  requireClassifier(approver, item, 'declassifying');
  return declassificationWrites(ctx, item, {
    reason: cmd.data.reason ?? 'no reason given',
    automatic: false,
    by: cmd.actor,
    at: cmd.at,
  });
};

export const changeLevel: Decide<'ChangeLevel'> = (cmd, ctx) => {
  const item = classified(itemOf(ctx, cmd.data.itemId));
  const approver = approverOf(ctx, cmd);
  ownClassification(item, 'changing the level of');
  notACopy(item);
  requireClassifier(approver, item, 'changing the level');
  if (item.level === cmd.data.level) return [];
  // contract §5.1 point 13; QX90 第3条: the period must still fit the new level's maximum, counted from the issue date.
  if (!item.declassified && beyondMaximum(item, cmd.data.level, item.declassifyOn)) {
    throw refuse(
      'PERIOD_EXCEEDS_MAXIMUM',
      `${cmd.data.level} periods are at most ${MAX_PERIOD_YEARS[cmd.data.level]} years from ${item.issuedAt}; ` +
        `${item.itemId} runs to ${item.declassifyOn}`,
      'level',
    );
  }
  return levelWrites(ctx, item, cmd.data.level, {
    reason: cmd.data.reason ?? null,
    approvedBy: cmd.actor,
    at: cmd.at,
  });
};

/**
 * contract §5.1 point 5; S2 第6篇: the originating organ decides, this unit records its notice (a fact) and applies it
 * like the decision would, to every copy too. A notice about a copy applies to the copy's original, whose copy it is.
 */
export const recordOriginatorNotice: Decide<'RecordOriginatorNotice'> = (cmd, ctx) => {
  const d = cmd.data;
  const named = itemOf(ctx, d.itemId);
  const item = named.copyOf ? itemOf(ctx, named.original ?? named.copyOf, 'itemId') : named;
  if (d.decision === 'extended') {
    if (d.newDeclassifyOn === undefined) throw new InvalidCommand('newDeclassifyOn', 'is required for extended');
    if (Number.isNaN(ms(d.newDeclassifyOn))) throw new InvalidCommand('newDeclassifyOn', 'must be an ISO-8601 instant');
    // contract §5.1 point 5: the notice applies like the decision would, and an extension ends later than the period it
    // extends (保密法 第24条 延长); an "extended" notice to an earlier date contradicts itself — input to correct.
    if (!item.declassified && item.declassifyOn && ms(d.newDeclassifyOn) <= ms(item.declassifyOn))
      throw new InvalidCommand('newDeclassifyOn', 'an extension ends later than the current period');
  }
  if (d.decision === 'level-changed' && d.level === undefined)
    throw new InvalidCommand('level', 'is required for level-changed');
  const notice: ItemEvent = {
    type: 'OriginatorNoticeRecorded',
    data: {
      itemId: item.itemId,
      decision: d.decision,
      newDeclassifyOn: d.decision === 'extended' ? new Date(d.newDeclassifyOn!).toISOString() : null,
      level: d.decision === 'level-changed' ? d.level! : null,
      noticeRef: d.noticeRef,
      classifiedBy: item.classifiedBy,
      recordedBy: cmd.actor,
      at: cmd.at,
    },
  };
  const recorded = factWrites(cmd, ctx, item, [notice], () => []);
  if (item.status === 'destroyed' || item.status === 'draft') return recorded;
  const organ = item.classifiedBy ?? cmd.actor;
  const consequences = (() => {
    switch (d.decision) {
      case 'declassified':
        return declassificationWrites(ctx, item, {
          reason: `originator notice ${d.noticeRef}`,
          automatic: false,
          by: organ,
          at: cmd.at,
          noticeRef: d.noticeRef,
        });
      case 'extended':
        // A notice is a fact: recorded even when it comes after the period ran out (the item stays declassified).
        return item.declassified ? [] : extensionWrites(ctx, item, d.newDeclassifyOn!, organ, cmd.at, d.noticeRef);
      case 'level-changed':
        return levelWrites(ctx, item, d.level!, {
          reason: `originator notice ${d.noticeRef}`,
          approvedBy: organ,
          at: cmd.at,
          noticeRef: d.noticeRef,
        });
    }
  })();
  return mergeWrites([...recorded, ...consequences]);
};

/** Several writes to one stream in one command become one write, in order. */
export const mergeWrites = (writes: StreamEvents[]): StreamEvents[] => {
  const by = new Map<string, StreamEvents>();
  for (const w of writes) {
    const seen = by.get(w.streamId);
    if (seen) seen.events.push(...w.events);
    else by.set(w.streamId, { streamId: w.streamId, events: [...w.events] });
  }
  return [...by.values()];
};
