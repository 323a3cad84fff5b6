/** Carrying an item out of the premises and back (001 携带保密: never home or to public places). */
import { refuse, InvalidCommand } from '../../shared/errors';
import { itemStream } from '../../shared/streams';
import { incidentKindFor } from '../../incident/incident-policy';
import type { ItemEvent } from '../item.events';
import { activeCarryOutApproval } from '../item.state';
import {
  NEVER_APPROVABLE,
  ms,
  itemOf,
  personOf,
  placeOf,
  approverOf,
  classified,
  requireRank,
  factWrites,
  single,
  type Decide,
} from '../item.decide-kit';

export const approveCarryOut: Decide<'ApproveCarryOut'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = classified(itemOf(ctx, d.itemId));
  const approver = approverOf(ctx, cmd);
  personOf(ctx, d.person, 'person');
  const destination = placeOf(ctx, d.destination, 'destination');
  // 001 (五)携带保密: 要经领导审批 — director+ (contract §5).
  requireRank(approver, 'director', 'approving a carry-out');
  // 001 (五)携带保密; 002 第13条: never to public places or home, so no approval can cover them.
  if (NEVER_APPROVABLE.includes(destination.kind)) {
    throw refuse('DESTINATION_NOT_APPROVABLE', `${d.destination} is a ${destination.kind} place`, 'destination');
  }
  if (Number.isNaN(ms(d.until)) || ms(d.until) <= ms(cmd.at))
    throw new InvalidCommand('until', 'must be later than the approval');
  return single(itemStream(item.itemId), {
    type: 'CarryOutApproved',
    data: {
      itemId: item.itemId,
      person: d.person,
      destination: d.destination,
      until: d.until,
      approvedBy: cmd.actor,
      at: cmd.at,
    },
  } satisfies ItemEvent);
};

export const recordCarryOut: Decide<'RecordCarryOut'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = itemOf(ctx, d.itemId);
  personOf(ctx, d.person, 'person');
  const destination = placeOf(ctx, d.destination, 'destination');
  const approved =
    !NEVER_APPROVABLE.includes(destination.kind) && activeCarryOutApproval(item, cmd.at, d.person, d.destination) >= 0;
  const fact: ItemEvent = {
    type: 'ItemCarriedOut',
    data: {
      itemId: item.itemId,
      person: d.person,
      destination: d.destination,
      destinationKind: destination.kind,
      approved,
      at: cmd.at,
    },
  };
  return factWrites(
    cmd,
    ctx,
    item,
    [fact],
    () =>
      approved
        ? []
        : [
            {
              // 001 (五)携带保密 (the secretary case): a carry-out to a public place or home opens a suspected leak.
              code: 'CARRY_OUT_UNAPPROVED',
              personId: d.person,
              incident: incidentKindFor('CARRY_OUT_UNAPPROVED', { destinationKind: destination.kind }),
              detail: `carried to ${d.destination} (${destination.kind}) without an active approval`,
            },
          ],
    d.person,
  );
};

export const recordBringBack: Decide<'RecordBringBack'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = itemOf(ctx, d.itemId);
  personOf(ctx, d.person, 'person');
  if (d.placeId) placeOf(ctx, d.placeId, 'placeId');
  if (d.destination) placeOf(ctx, d.destination, 'destination');
  return factWrites(
    cmd,
    ctx,
    item,
    [
      {
        type: 'ItemBroughtBack',
        data: {
          itemId: item.itemId,
          person: d.person,
          placeId: d.placeId ?? null,
          ...(d.destination ? { from: d.destination } : {}),
          at: cmd.at,
        },
      } satisfies ItemEvent,
    ],
    () => [],
    d.person,
  );
};
