/**
 * The item stream's deadlines (contract §5 "Deadlines are driven by the clock"): which stored item events set or
 * clear an obligation. `rules/deadlines.ts` combines this with the incident deadlines.
 *
 * Keys are one per obligation and per item (`KIND:item-X`); a later event re-sets a key with its new due instant.
 * RECEIPT_MISSING and LOAN_OVERDUE keep one key per item (an item is in one dispatch or one loan at a time) so the
 * flag itself can clear it; the dispatch revision / loan id travel in `ref`.
 */
import type { Deadline } from '../commands';
import type { ItemEvent } from './item.events';
import { addHours, addYears } from '../shared/calendar';

export { addHours, addYears } from '../shared/calendar';

export interface StoredItemEvent {
  streamId: string;
  revision: number;
  type: string;
  data: unknown;
  occurredAt: string;
}

/** 001_6188e2007563e3a6.txt (一)收文保密: every dispatch needs a receipt; flagged 48 h after the dispatch (contract §5). */
export const RECEIPT_HOURS = 48;

/**
 * BG99 第2条 (b) / contract §5.1 point 10: an unapproved gate exit not followed by the item's return within this window is
 * treated as beyond the permitted range. 24 h: the gate does not know the destination, so the window covers a same-day
 * errand recorded late, and no more — the leak report itself is then due within 24 h of the flag (TL2024 第61条).
 */
export const GATE_RETURN_HOURS = 24;

export const deadlineKey = (kind: Deadline['kind'], streamId: string): string => `${kind}:${streamId}`;

export const itemDeadlineChanges = (stored: StoredItemEvent): { set: Deadline[]; clear: string[] } => {
  const event = { type: stored.type, data: stored.data } as ItemEvent;
  const streamId = stored.streamId;
  const set: Deadline[] = [];
  const clear: string[] = [];
  const key = (kind: Deadline['kind']) => deadlineKey(kind, streamId);
  const issue = (itemId: string, level: string, issuedAt: string | null, declassifyOn: string | null) => {
    if (declassifyOn)
      set.push({
        key: key('DECLASSIFY'),
        kind: 'DECLASSIFY',
        streamId,
        dueAt: declassifyOn,
        itemId,
        ref: declassifyOn,
      });
    // A TOP_SECRET item must be sighted by an inventory within a year of its issue date (001 (九)清查保密).
    if (level === 'TOP_SECRET' && issuedAt) {
      set.push({
        key: key('TS_INVENTORY_OVERDUE'),
        kind: 'TS_INVENTORY_OVERDUE',
        streamId,
        dueAt: addYears(issuedAt, 1),
        itemId,
      });
    }
  };
  switch (event.type) {
    case 'ItemClassified':
      issue(event.data.itemId, event.data.level, event.data.issuedAt, event.data.declassifyOn);
      break;
    case 'ItemReceived':
      issue(event.data.itemId, event.data.level, event.data.issuedAt, event.data.declassifyOn);
      break;
    case 'CopyRegistered':
      // contract §5.1 point 4: a copy has no declassification deadline of its own; its original's expiry binds it.
      // A TOP_SECRET copy is a carrier of its own that the inventory must find (001 (九)清查保密, (三)5 复印件等同原件
      // 管理): its year runs from when it was made, not from its original's issue date — it could not be sighted before
      // it existed.
      issue(event.data.itemId, event.data.level, event.data.at, null);
      break;
    case 'ItemDispatched':
      set.push({
        key: key('RECEIPT_MISSING'),
        kind: 'RECEIPT_MISSING',
        streamId,
        dueAt: addHours(event.data.at, RECEIPT_HOURS),
        itemId: event.data.itemId,
        ref: String(stored.revision),
      });
      break;
    case 'ReceiptAcknowledged':
      clear.push(key('RECEIPT_MISSING'));
      break;
    case 'ItemLent':
      set.push({
        key: key('LOAN_OVERDUE'),
        kind: 'LOAN_OVERDUE',
        streamId,
        dueAt: event.data.dueAt,
        itemId: event.data.itemId,
        ref: event.data.loanId,
      });
      break;
    case 'ItemReturned':
      clear.push(key('LOAN_OVERDUE'), key('ITEM_NOT_BROUGHT_BACK'));
      break;
    case 'GatePassed':
      // Every exit sets it (the covering approval is checked when it fires); the way back in clears it.
      if (event.data.direction === 'out')
        set.push({
          key: key('ITEM_NOT_BROUGHT_BACK'),
          kind: 'ITEM_NOT_BROUGHT_BACK',
          streamId,
          dueAt: addHours(event.data.at, GATE_RETURN_HOURS),
          itemId: event.data.itemId,
          ref: String(stored.revision),
        });
      else clear.push(key('ITEM_NOT_BROUGHT_BACK'));
      break;
    case 'ItemBroughtBack':
    case 'ItemArchived':
      clear.push(key('ITEM_NOT_BROUGHT_BACK'));
      break;
    case 'SecrecyPeriodExtended':
      // An extension decided before expiry moves the automatic declassification (保密法 第24条); a copy's follows its
      // original's and sets no deadline of its own (contract §5.1 point 4).
      if (event.data.followsOriginal) break;
      set.push({
        key: key('DECLASSIFY'),
        kind: 'DECLASSIFY',
        streamId,
        dueAt: event.data.newDeclassifyOn,
        itemId: event.data.itemId,
        ref: event.data.newDeclassifyOn,
      });
      break;
    case 'LevelChanged':
      if (event.data.to === 'TOP_SECRET' && event.data.from !== 'TOP_SECRET') {
        set.push({
          key: key('TS_INVENTORY_OVERDUE'),
          kind: 'TS_INVENTORY_OVERDUE',
          streamId,
          dueAt: addYears(event.data.at, 1),
          itemId: event.data.itemId,
        });
      } else if (event.data.to !== 'TOP_SECRET') clear.push(key('TS_INVENTORY_OVERDUE'));
      break;
    case 'ItemSighted':
      set.push({
        key: key('TS_INVENTORY_OVERDUE'),
        kind: 'TS_INVENTORY_OVERDUE',
        streamId,
        dueAt: addYears(event.data.at, 1),
        itemId: event.data.itemId,
      });
      break;
    case 'ItemDeclassified':
      clear.push(key('DECLASSIFY'), key('TS_INVENTORY_OVERDUE'));
      break;
    case 'ItemDestroyed':
      clear.push(
        key('DECLASSIFY'),
        key('TS_INVENTORY_OVERDUE'),
        key('RECEIPT_MISSING'),
        key('LOAN_OVERDUE'),
        key('ITEM_NOT_BROUGHT_BACK'),
      );
      break;
    case 'ViolationDetected':
      // A flag meets its obligation once; a TOP_SECRET inventory is due again a year after the missed one.
      if (event.data.code === 'RECEIPT_MISSING') clear.push(key('RECEIPT_MISSING'));
      if (event.data.code === 'LOAN_OVERDUE') clear.push(key('LOAN_OVERDUE'));
      if (event.data.code === 'ITEM_NOT_BROUGHT_BACK') clear.push(key('ITEM_NOT_BROUGHT_BACK'));
      if (event.data.code === 'TS_INVENTORY_OVERDUE' && event.data.itemId) {
        set.push({
          key: key('TS_INVENTORY_OVERDUE'),
          kind: 'TS_INVENTORY_OVERDUE',
          streamId,
          dueAt: addYears(event.data.at, 1),
          itemId: event.data.itemId,
        });
      }
      break;
    default:
      break;
  }
  return { set, clear };
};
