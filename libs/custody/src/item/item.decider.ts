/**
 * The item stream's decider: every command of contract §5 about one item (classification, custody moves, readings,
 * copies, loans, carry-outs, destruction, the secrecy period) and the item deadlines.
 *
 * Facts are recorded whenever they are well-formed and name registered persons, places and items; a rule they break
 * is a `ViolationDetected` beside them (contract §2.1). Requests are refused with the codes of §5.
 *
 * This file plans and routes; each use case decides in `decide/` (classification, transfer, copies, loans,
 * carry-out, destruction, period, deadlines), with what they share in `item.decide-kit.ts`.
 */
import type { CustodyCommand } from '../commands';
import type { Command, DecisionContext, DomainEvent, Needs, StreamEvents } from '../shared/command';
import type { ViolationDetected } from '../shared/violation';
import { incidentNeeds } from '../incident/incident-policy';
import { parseStream } from '../shared/streams';
import { VIOLATION_RULES } from '../rules/violations';
import type { ItemEvent } from './item.events';
import {
  mergeNeeds,
  persons,
  places,
  items,
  custodianNeeds,
  copyTreeNeeds,
  loadedItem,
  originalIdOf,
} from './item.decide-kit';
import {
  proposeClassification,
  reviewClassification,
  approveClassification,
  registerReceivedItem,
} from './decide/classification';
import {
  dispatchItem,
  acknowledgeReceipt,
  handOver,
  recordReading,
  extendScope,
  archiveItem,
  recordGatePassage,
} from './decide/transfer';
import { requestCopy, approveCopy, refuseCopy, recordCopy } from './decide/copies';
import { approveLoan, recordLoan, recordReturn } from './decide/loans';
import { approveCarryOut, recordCarryOut, recordBringBack } from './decide/carry-out';
import { approveDestruction, recordDestruction, recordLoss } from './decide/destruction';
import { extendSecrecyPeriod, declassifyItem, changeLevel, recordOriginatorNotice } from './decide/period';
import { fireDeadline } from './decide/deadlines';

export const ITEM_COMMANDS = [
  'ProposeClassification',
  'ReviewClassification',
  'ApproveClassification',
  'RegisterReceivedItem',
  'DispatchItem',
  'AcknowledgeReceipt',
  'HandOver',
  'RecordReading',
  'ExtendScope',
  'RequestCopy',
  'ApproveCopy',
  'RefuseCopy',
  'RecordCopy',
  'ApproveLoan',
  'RecordLoan',
  'RecordReturn',
  'ApproveCarryOut',
  'RecordCarryOut',
  'RecordBringBack',
  'ArchiveItem',
  'RecordGatePassage',
  'ApproveDestruction',
  'RecordDestruction',
  'ExtendSecrecyPeriod',
  'DeclassifyItem',
  'ChangeLevel',
  'RecordLoss',
  'RecordOriginatorNotice',
  'FireDeadline',
] as const;
export type ItemCommand = Extract<CustodyCommand, { type: (typeof ITEM_COMMANDS)[number] }>;
export const isItemCommand = (c: CustodyCommand): c is ItemCommand =>
  (ITEM_COMMANDS as readonly string[]).includes(c.type);

// ---------------------------------------------------------------- plan

export const planItem = (command: ItemCommand, ctx: DecisionContext): Needs => {
  switch (command.type) {
    case 'ProposeClassification':
      return mergeNeeds(items(command.data.itemId), persons(command.actor, ...(command.data.scope?.persons ?? [])));
    case 'ReviewClassification':
    case 'ApproveClassification':
    case 'ApproveDestruction':
    case 'ApproveCopy':
    case 'RefuseCopy':
      return mergeNeeds(items(command.data.itemId), persons(command.actor));
    case 'ExtendSecrecyPeriod':
    case 'DeclassifyItem':
    case 'ChangeLevel':
      // contract §5.1 point 4: the decision binds every copy in the tree, loaded generation by generation.
      return mergeNeeds(items(command.data.itemId), persons(command.actor), copyTreeNeeds(ctx, command.data.itemId));
    case 'RecordOriginatorNotice': {
      const named = loadedItem(ctx, command.data.itemId);
      const original = named ? originalIdOf(named) : command.data.itemId;
      return mergeNeeds(items(command.data.itemId, original), copyTreeNeeds(ctx, original));
    }
    case 'RegisterReceivedItem':
      return mergeNeeds(
        items(command.data.itemId),
        persons(command.data.receivedBy, ...(command.data.scope?.persons ?? [])),
        places(command.data.placeId),
      );
    case 'DispatchItem':
      return mergeNeeds(
        items(command.data.itemId),
        persons(command.actor, command.data.to, command.data.approvedBy, ...(command.data.couriers ?? [])),
        incidentNeeds([command.data.itemId], ctx),
      );
    case 'AcknowledgeReceipt':
      // Round two: the addressee of the pending dispatch (contract §5.1 point 7).
      return mergeNeeds(
        items(command.data.itemId),
        persons(command.data.by, loadedItem(ctx, command.data.itemId)?.dispatch?.to),
        incidentNeeds([command.data.itemId], ctx),
      );
    case 'HandOver':
      return mergeNeeds(
        items(...command.data.items),
        persons(command.data.from, command.data.to, command.data.supervisor),
      );
    case 'RecordReading':
      return mergeNeeds(
        items(command.data.itemId),
        persons(command.data.reader),
        places(command.data.placeId),
        incidentNeeds([command.data.itemId], ctx),
      );
    case 'ExtendScope':
      return mergeNeeds(
        items(command.data.itemId),
        persons(command.actor, ...command.data.persons),
        copyTreeNeeds(ctx, command.data.itemId),
      );
    case 'RequestCopy':
    case 'RecordGatePassage':
      return items(command.data.itemId);
    case 'RecordReturn':
      return mergeNeeds(items(command.data.itemId), persons(command.data.receivedBy ?? command.actor));
    case 'RecordCopy': {
      // Round two: the original of a copy of a copy, which numbers every copy in its tree.
      const source = loadedItem(ctx, command.data.itemId);
      return items(command.data.itemId, command.data.copyItemId, ...(source ? [originalIdOf(source)] : []));
    }
    case 'ApproveLoan':
      return mergeNeeds(
        items(command.data.itemId),
        persons(command.actor, command.data.borrower),
        custodianNeeds(ctx, command.data.itemId),
      );
    case 'RecordLoan':
      return mergeNeeds(
        items(command.data.itemId),
        persons(command.data.borrower),
        custodianNeeds(ctx, command.data.itemId),
        incidentNeeds([command.data.itemId], ctx),
      );
    case 'ApproveCarryOut':
      return mergeNeeds(
        items(command.data.itemId),
        persons(command.actor, command.data.person),
        places(command.data.destination),
      );
    case 'RecordCarryOut':
      return mergeNeeds(
        items(command.data.itemId),
        persons(command.data.person),
        places(command.data.destination),
        incidentNeeds([command.data.itemId], ctx),
      );
    case 'RecordBringBack':
      return mergeNeeds(
        items(command.data.itemId),
        persons(command.data.person),
        places(command.data.placeId, command.data.destination),
      );
    case 'ArchiveItem':
      return mergeNeeds(items(command.data.itemId), places(command.data.placeId));
    case 'RecordDestruction':
      return mergeNeeds(
        items(command.data.itemId),
        persons(...command.data.witnesses),
        places(command.data.placeId),
        incidentNeeds([command.data.itemId], ctx),
      );
    case 'RecordLoss':
      return mergeNeeds(
        items(command.data.itemId),
        persons(command.data.discoveredBy),
        incidentNeeds([command.data.itemId], ctx),
      );
    case 'FireDeadline': {
      const deadline = command.data.deadline;
      // An expiry declassifies the whole copy tree (contract §5.1 point 4).
      const itemId = parseStream(deadline.streamId)?.id;
      const tree = deadline.kind === 'DECLASSIFY' && itemId ? copyTreeNeeds(ctx, itemId) : {};
      // A missed bring-back opens or joins the item's suspected-leak incident (一事一报).
      const incidents = deadline.kind === 'ITEM_NOT_BROUGHT_BACK' && itemId ? incidentNeeds([itemId], ctx) : {};
      return mergeNeeds({ streams: [deadline.streamId] }, tree, incidents);
    }
    default: {
      const unhandled: never = command;
      throw new Error(`item module cannot plan ${(unhandled as Command).type}`);
    }
  }
};

export const decideItem = (command: ItemCommand, ctx: DecisionContext): StreamEvents[] => {
  switch (command.type) {
    case 'ProposeClassification':
      return proposeClassification(command, ctx);
    case 'ReviewClassification':
      return reviewClassification(command, ctx);
    case 'ApproveClassification':
      return approveClassification(command, ctx);
    case 'RegisterReceivedItem':
      return registerReceivedItem(command, ctx);
    case 'DispatchItem':
      return dispatchItem(command, ctx);
    case 'AcknowledgeReceipt':
      return acknowledgeReceipt(command, ctx);
    case 'HandOver':
      return handOver(command, ctx);
    case 'RecordReading':
      return recordReading(command, ctx);
    case 'ExtendScope':
      return extendScope(command, ctx);
    case 'RequestCopy':
      return requestCopy(command, ctx);
    case 'ApproveCopy':
      return approveCopy(command, ctx);
    case 'RefuseCopy':
      return refuseCopy(command, ctx);
    case 'RecordCopy':
      return recordCopy(command, ctx);
    case 'ApproveLoan':
      return approveLoan(command, ctx);
    case 'RecordLoan':
      return recordLoan(command, ctx);
    case 'RecordReturn':
      return recordReturn(command, ctx);
    case 'ApproveCarryOut':
      return approveCarryOut(command, ctx);
    case 'RecordCarryOut':
      return recordCarryOut(command, ctx);
    case 'RecordBringBack':
      return recordBringBack(command, ctx);
    case 'ArchiveItem':
      return archiveItem(command, ctx);
    case 'RecordGatePassage':
      return recordGatePassage(command, ctx);
    case 'ApproveDestruction':
      return approveDestruction(command, ctx);
    case 'RecordDestruction':
      return recordDestruction(command, ctx);
    case 'ExtendSecrecyPeriod':
      return extendSecrecyPeriod(command, ctx);
    case 'DeclassifyItem':
      return declassifyItem(command, ctx);
    case 'ChangeLevel':
      return changeLevel(command, ctx);
    case 'RecordLoss':
      return recordLoss(command, ctx);
    case 'RecordOriginatorNotice':
      return recordOriginatorNotice(command, ctx);
    case 'FireDeadline':
      return fireDeadline(command, ctx);
    default: {
      const unhandled: never = command;
      throw new Error(`item module cannot decide ${(unhandled as Command).type}`);
    }
  }
};

/**
 * What an inventory appends to an item's stream when it closes without sighting the item (contract §5): the
 * `ItemMissing` fact (status `missing`, nobody holds it) and its ITEM_MISSING violation (critical), which opened or
 * joined the `loss` incident `incidentId`.
 */
export const itemMissingEvents = (args: {
  itemId: string;
  inventoryId: string;
  at: string;
  violationId: string;
  incidentId?: string;
  /** The custodian it went missing from, if known. */
  personId?: string | null;
}): DomainEvent[] => {
  const rule = VIOLATION_RULES.ITEM_MISSING;
  const missing: ItemEvent = {
    type: 'ItemMissing',
    data: {
      itemId: args.itemId,
      inventoryId: args.inventoryId,
      at: args.at,
      ...(args.incidentId ? { incidentId: args.incidentId } : {}),
    },
  };
  const flagged: ViolationDetected = {
    type: 'ViolationDetected',
    data: {
      violationId: args.violationId,
      code: 'ITEM_MISSING',
      severity: rule.severity,
      itemId: args.itemId,
      personId: args.personId ?? null,
      source: rule.source,
      detail: `not sighted by inventory ${args.inventoryId}`,
      at: args.at,
      ...(args.incidentId ? { incidentId: args.incidentId } : {}),
    },
  };
  return [missing, flagged] as unknown as DomainEvent[];
};
