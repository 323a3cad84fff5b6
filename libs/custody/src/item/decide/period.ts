/** The secrecy period: extension before expiry, declassification, level changes (保密法 第24条). */
import { CommandRefused, InvalidCommand } from '../../shared/errors';
import { itemStream } from '../../shared/streams';
import type { ItemEvent } from '../item.events';
import { addYears } from '../item.deadlines';
import {
  MAX_PERIOD_YEARS,
  ms,
  itemOf,
  approverOf,
  classified,
  requireClassifier,
  single,
  type Decide,
} from '../item.decide-kit';

export const extendSecrecyPeriod: Decide<'ExtendSecrecyPeriod'> = (cmd, ctx) => {
  const item = classified(itemOf(ctx, cmd.data.itemId));
  const approver = approverOf(ctx, cmd);
  requireClassifier(approver, item, 'extending the secrecy period');
  const next = cmd.data.newDeclassifyOn;
  if (Number.isNaN(ms(next))) throw new InvalidCommand('newDeclassifyOn', 'must be an ISO-8601 instant');
  // 保密法 第24条: an extension is decided before the period ends; after it, the item is declassified.
  if (item.declassified || !item.declassifyOn || ms(cmd.at) >= ms(item.declassifyOn)) {
    throw new CommandRefused(
      'PERIOD_ALREADY_EXPIRED',
      `the secrecy period of ${item.itemId} has ended`,
      422,
      'newDeclassifyOn',
    );
  }
  if (ms(next) <= ms(item.declassifyOn))
    throw new InvalidCommand('newDeclassifyOn', 'an extension ends later than the current period');
  // QX90 第3条: the maximum counts from the issue date.
  const issued = item.issuedAt ?? cmd.at;
  if (ms(next) > ms(addYears(issued, MAX_PERIOD_YEARS[item.level]))) {
    throw new CommandRefused(
      'PERIOD_EXCEEDS_MAXIMUM',
      `${item.level} periods are at most ${MAX_PERIOD_YEARS[item.level]} years from ${issued}`,
      422,
      'newDeclassifyOn',
    );
  }
  return single(itemStream(item.itemId), {
    type: 'SecrecyPeriodExtended',
    data: {
      itemId: item.itemId,
      previousDeclassifyOn: item.declassifyOn,
      newDeclassifyOn: new Date(next).toISOString(),
      approvedBy: cmd.actor,
      at: cmd.at,
    },
  } satisfies ItemEvent);
};

export const declassifyItem: Decide<'DeclassifyItem'> = (cmd, ctx) => {
  const item = classified(itemOf(ctx, cmd.data.itemId));
  const approver = approverOf(ctx, cmd);
  // 保密法 第24条: declassified by the classifier (or a superior).
  requireClassifier(approver, item, 'declassifying');
  if (item.declassified) return [];
  return single(itemStream(item.itemId), {
    type: 'ItemDeclassified',
    data: {
      itemId: item.itemId,
      reason: cmd.data.reason ?? 'no reason given',
      automatic: false,
      by: cmd.actor,
      at: cmd.at,
    },
  } satisfies ItemEvent);
};

export const changeLevel: Decide<'ChangeLevel'> = (cmd, ctx) => {
  const item = classified(itemOf(ctx, cmd.data.itemId));
  const approver = approverOf(ctx, cmd);
  requireClassifier(approver, item, 'changing the level');
  if (item.level === cmd.data.level) return [];
  return single(itemStream(item.itemId), {
    type: 'LevelChanged',
    data: {
      itemId: item.itemId,
      from: item.level,
      to: cmd.data.level,
      reason: cmd.data.reason ?? null,
      approvedBy: cmd.actor,
      at: cmd.at,
    },
  } satisfies ItemEvent);
};
