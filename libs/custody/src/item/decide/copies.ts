/** Copies: requests, approvals (002 第21条) and the copies themselves, each an item of its own. */
import type { StreamEvents } from '../../shared/command';
import { refuse, InvalidCommand } from '../../shared/errors';
import { itemStream } from '../../shared/streams';
import type { ItemEvent } from '../item.events';
import {
  loadedItem,
  originalIdOf,
  itemOf,
  approverOf,
  classified,
  requireRank,
  factWrites,
  write,
  single,
  scopeOf,
  ms,
  type Decide,
} from '../item.decide-kit';

export const requestCopy: Decide<'RequestCopy'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = classified(itemOf(ctx, d.itemId));
  if (!(Number.isInteger(d.copies) && d.copies > 0))
    throw new InvalidCommand('copies', 'must be a positive whole number');
  // 001: copyAllowed false marks an item that may not be reproduced at all.
  if (!item.copyAllowed) throw refuse('COPY_NOT_ALLOWED', `${item.itemId} may not be copied`, 'itemId');
  const existing = item.copyRequests[d.requestId];
  if (existing) {
    if (existing.copies === d.copies) return [];
    throw refuse('REQUEST_EXISTS', `copy request ${d.requestId} already exists`, 'requestId');
  }
  return single(itemStream(item.itemId), {
    type: 'CopyRequested',
    data: { itemId: item.itemId, requestId: d.requestId, copies: d.copies, requestedBy: cmd.actor, at: cmd.at },
  } satisfies ItemEvent);
};

/**
 * The item and the copy request a decision (approval or refusal) is about, once the approver's rank allows it:
 * 002 第21条: 绝密/机密 copies need the general manager (executive); others the department head (manager+).
 */
const copyRequestToDecide = (
  cmd: Parameters<Decide<'ApproveCopy' | 'RefuseCopy'>>[0],
  ctx: Parameters<Decide<'ApproveCopy' | 'RefuseCopy'>>[1],
  deciding: 'approving' | 'refusing',
) => {
  const item = classified(itemOf(ctx, cmd.data.itemId));
  const approver = approverOf(ctx, cmd);
  const request = item.copyRequests[cmd.data.requestId];
  if (!request) throw refuse('NOT_REQUESTED', `no copy request ${cmd.data.requestId} on ${item.itemId}`, 'requestId');
  requireRank(
    approver,
    item.level === 'CONFIDENTIAL' ? 'manager' : 'executive',
    `${deciding} a copy of a ${item.level} item`,
  );
  return { item, request };
};

export const approveCopy: Decide<'ApproveCopy'> = (cmd, ctx) => {
  const { item, request } = copyRequestToDecide(cmd, ctx, 'approving');
  if (request.approvedBy) return [];
  if (request.refusedBy) throw refuse('ALREADY_REFUSED', `copy request ${cmd.data.requestId} was refused`, 'requestId');
  // 001 不得擅自多印多留: an approval may allow fewer copies than asked for, never more.
  const copies = cmd.data.copies;
  if (copies !== undefined && !(Number.isInteger(copies) && copies > 0 && copies <= request.copies)) {
    throw new InvalidCommand('copies', `must be a whole number from 1 to the ${request.copies} requested`);
  }
  return single(itemStream(item.itemId), {
    type: 'CopyApproved',
    data: {
      itemId: item.itemId,
      requestId: cmd.data.requestId,
      approvedBy: cmd.actor,
      at: cmd.at,
      ...(copies !== undefined ? { copies } : {}),
    },
  } satisfies ItemEvent);
};

/**
 * 002 第21条: a copy is made only with the approval; the approver who may give it may also refuse it. A refused
 * request can no longer be approved, and a copy recorded under it is COPY_UNAPPROVED like one without a request.
 */
export const refuseCopy: Decide<'RefuseCopy'> = (cmd, ctx) => {
  const { item, request } = copyRequestToDecide(cmd, ctx, 'refusing');
  if (request.refusedBy) return [];
  if (request.approvedBy)
    throw refuse('ALREADY_APPROVED', `copy request ${cmd.data.requestId} was approved`, 'requestId');
  const reason = typeof cmd.data.reason === 'string' ? cmd.data.reason.trim() : '';
  if (!reason) throw new InvalidCommand('reason', 'is required');
  return single(itemStream(item.itemId), {
    type: 'CopyRefused',
    data: { itemId: item.itemId, requestId: cmd.data.requestId, refusedBy: cmd.actor, reason, at: cmd.at },
  } satisfies ItemEvent);
};

const laterOf = (a: string, b: string): string => (ms(a) >= ms(b) ? a : b);

export const recordCopy: Decide<'RecordCopy'> = (cmd, ctx) => {
  const d = cmd.data;
  const source = itemOf(ctx, d.itemId);
  if (d.copyItemId === d.itemId) throw new InvalidCommand('copyItemId', 'a copy needs an id of its own');
  if (loadedItem(ctx, d.copyItemId) || (ctx.streams[itemStream(d.copyItemId)]?.revision ?? -1) >= 0) {
    throw refuse('ITEM_EXISTS', `${d.copyItemId} already exists`, 'copyItemId');
  }
  // contract §5.1 point 4: copy numbers are unique across every copy descended from one original, so the original
  // gives them (and, for a copy of a copy, records it: writing its stream also orders two copies made at once).
  const original = source.copyOf ? (loadedItem(ctx, originalIdOf(source)) ?? source) : source;
  const copyNo = Math.max(original.lastCopyNo, original.descendants.length, original.copies.length) + 1;
  const copied: ItemEvent = {
    type: 'ItemCopied',
    data: {
      itemId: source.itemId,
      copyItemId: d.copyItemId,
      requestId: d.requestId ?? null,
      by: cmd.actor,
      at: cmd.at,
      copyNo,
    },
  };
  const onOriginal: StreamEvents[] =
    original.itemId === source.itemId
      ? []
      : [
          write(itemStream(original.itemId), [
            {
              type: 'ItemCopied',
              data: {
                itemId: original.itemId,
                copyItemId: d.copyItemId,
                requestId: null,
                by: cmd.actor,
                at: cmd.at,
                copyNo,
                via: source.itemId,
              },
            },
          ]),
        ];
  // 001 (三): 复印件要等同原件一样管理 — the copy inherits level, period, scope and extensions; its custodian is the actor.
  const registered: ItemEvent = {
    type: 'CopyRegistered',
    data: {
      itemId: d.copyItemId,
      copyOf: source.itemId,
      original: original.itemId,
      classifiedBy: source.classifiedBy,
      ...(source.longTerm ? { longTerm: true } : {}),
      title: source.title,
      level: source.level,
      basis: source.basis,
      carrier: source.carrier,
      scope: scopeOf(source.scope),
      extendedTo: [...source.extendedTo],
      issuedAt: source.issuedAt,
      declassifyOn: source.declassifyOn,
      copyNo,
      copyAllowed: source.copyAllowed,
      approvedBy: source.approvedBy,
      custodian: cmd.actor,
      placeId: source.placeId,
      at: cmd.at,
    },
  };
  // contract §5.1 4 (copies follow their original; 001 (三)5 复印件等同原件管理): a copy of a declassified item is no
  // secret either, whenever it was made — its registration is followed at once by the declassification it inherits,
  // dated when the source was declassified if the copy was made (or typed in late as made) before that.
  const inheritedDeclassification: ItemEvent[] = source.declassified
    ? [
        {
          type: 'ItemDeclassified',
          data: {
            itemId: d.copyItemId,
            reason: `${source.itemId} is declassified`,
            automatic: false,
            by: null,
            at: laterOf(cmd.at, source.declassifiedAt ?? cmd.at),
            followsOriginal: original.itemId,
          },
        },
      ]
    : [];
  const onSource = factWrites(
    cmd,
    ctx,
    source,
    [copied],
    () => {
      const request = d.requestId ? source.copyRequests[d.requestId] : undefined;
      // 002 第21条 / 001: every copy needs an approval. Copying is not reading: no scope check here.
      // contract §5.1 2: the approval is judged as it stood when the copy was made — a copy made before the approver
      // signed (and typed in afterwards) was made without it.
      if (
        !request ||
        !request.approvedBy ||
        (request.approvedAt !== undefined && ms(cmd.at) < ms(request.approvedAt))
      ) {
        return [
          {
            code: 'COPY_UNAPPROVED',
            personId: cmd.actor,
            detail: !d.requestId
              ? 'no copy request'
              : request?.approvedBy && request.approvedAt
                ? `made at ${cmd.at}, before request ${d.requestId} was approved at ${request.approvedAt}`
                : `request ${d.requestId} is not approved`,
          },
        ];
      }
      // 001 不得擅自多印多留; 002 第21条 4: the approval is used up by the copies it approves.
      if (request.used >= request.copies) {
        return [
          {
            code: 'COPY_COUNT_EXCEEDED',
            personId: cmd.actor,
            detail: `request ${d.requestId} approved ${request.copies} copy(ies), all used`,
          },
        ];
      }
      return [];
    },
    cmd.actor,
  );
  return [...onSource, ...onOriginal, write(itemStream(d.copyItemId), [registered, ...inheritedDeclassification])];
};
