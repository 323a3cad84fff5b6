/**
 * Inventories (清查): 001_6188e2007563e3a6.txt (九)清查保密 定期清查秘密文件…若发现有丢失的,要及时追查处理.
 * Opening fixes what is expected; sightings are facts; closing marks every expected item not sighted missing
 * (ITEM_MISSING on the item, a `loss` incident opened or joined).
 */
import type { CustodyCommand } from '../commands';
import type { DecisionContext, InventoryScope, Needs, StreamEvents } from '../shared/command';
import { refuse, InvalidCommand, UnknownReference } from '../shared/errors';
import { inventoryStream, itemStream, personStream, placeStream } from '../shared/streams';
import { incidentNeeds, incidentWrites } from '../incident/incident-policy';
import { requireStream, requireText, stateOf, writeTo } from '../incident/input';
import { itemMissingEvents, itemView } from '../item';
import { withViolationLog, type ViolationLog } from '../violation/violation-log';
import type { InventoryEvent } from './inventory.events';

export interface InventoryRecord {
  inventoryId: string;
  scope: InventoryScope;
  expected: string[];
  /** Every item sighted, expected or not, once each, in the order first sighted. */
  sighted: string[];
  openedAt: string;
  closedAt: string | null;
  missing: string[];
}

export type InventoryState =
  | { status: 'none'; violations: ViolationLog }
  | { status: 'open' | 'closed'; inventory: InventoryRecord; violations: ViolationLog };

export const initialInventoryState = (): InventoryState => ({ status: 'none', violations: {} });

export const evolveInventory = withViolationLog<InventoryState, InventoryEvent>((state, event) => {
  switch (event.type) {
    case 'InventoryOpened': {
      const d = event.data;
      return {
        status: 'open',
        violations: state.violations,
        inventory: {
          inventoryId: d.inventoryId,
          scope: d.scope,
          expected: [...d.expected],
          sighted: [],
          openedAt: d.at,
          closedAt: null,
          missing: [],
        },
      };
    }
    case 'ItemSighted': {
      if (state.status === 'none') return state;
      const { sighted } = state.inventory;
      return sighted.includes(event.data.itemId)
        ? state
        : { ...state, inventory: { ...state.inventory, sighted: [...sighted, event.data.itemId] } };
    }
    case 'InventoryClosed':
      return state.status === 'none'
        ? state
        : {
            ...state,
            status: 'closed',
            inventory: { ...state.inventory, closedAt: event.data.at, missing: [...event.data.missing] },
          };
    default: {
      // Unknown event types are ignored, never thrown on.
      const ignored: never = event;
      void ignored;
      return state;
    }
  }
});

export type InventoryCommand = Extract<CustodyCommand, { type: 'OpenInventory' | 'RecordSighting' | 'CloseInventory' }>;

/** The scope as given when it is exactly one of `{all: true}`, `{custodian}`, `{placeId}`; else null. */
const parseScope = (raw: unknown): InventoryScope | null => {
  const s = (raw ?? {}) as Record<string, unknown>;
  if (Object.keys(s).length !== 1) return null;
  if (s.all === true) return { all: true };
  if (typeof s.custodian === 'string' && s.custodian !== '') return { custodian: s.custodian };
  if (typeof s.placeId === 'string' && s.placeId !== '') return { placeId: s.placeId };
  return null;
};

const scopeStreams = (scope: InventoryScope | null): string[] =>
  !scope
    ? []
    : 'custodian' in scope
      ? [personStream(scope.custodian)]
      : 'placeId' in scope
        ? [placeStream(scope.placeId)]
        : [];

/** Expected items not sighted, before their own streams say whether they are already missing or destroyed. */
const unsighted = (inv: InventoryRecord): string[] => inv.expected.filter((id) => !inv.sighted.includes(id));

/** Of the unsighted items, those still to mark missing: an item already missing or destroyed is not lost again. */
/**
 * 001_6188e2007563e3a6.txt (九)清查保密 若发现有丢失的: missing is what the ledger cannot account for. An expected item
 * still held in place (active or archived, as an inventory expects at opening) and not sighted is missing; one the
 * ledger has since seen leave by a recorded fact (lent, dispatched, carried out) is where that fact says, and one
 * destroyed, lost or declassified since is no longer the inventory's to find.
 */
const STILL_HELD_IN_PLACE: readonly string[] = ['active', 'archived'];
const toMarkMissing = (inv: InventoryRecord, ctx: DecisionContext): string[] =>
  unsighted(inv).filter((id) => {
    const view = itemView(stateOf(ctx, itemStream(id)));
    return view !== null && STILL_HELD_IN_PLACE.includes(view.status);
  });

export const planInventory = (command: InventoryCommand, ctx: DecisionContext): Needs => {
  const stream = inventoryStream(command.data.inventoryId);
  switch (command.type) {
    case 'OpenInventory': {
      // A malformed scope is not sent to the read model: decide refuses it.
      const scope = parseScope(command.data.scope);
      return { streams: [stream, ...scopeStreams(scope)], ...(scope ? { itemsInScope: scope } : {}) };
    }
    case 'RecordSighting':
      return { streams: [stream, itemStream(command.data.itemId), placeStream(command.data.placeId)] };
    case 'CloseInventory': {
      const state = ctx.streams[stream]?.state as InventoryState | undefined;
      if (!state || state.status !== 'open') return { streams: [stream] };
      const candidates = unsighted(state.inventory);
      const itemStreams = candidates.map(itemStream);
      if (!itemStreams.every((s) => s in ctx.streams)) return { streams: [stream, ...itemStreams] };
      const needs = incidentNeeds(toMarkMissing(state.inventory, ctx), ctx);
      return { ...needs, streams: [stream, ...itemStreams, ...(needs.streams ?? [])] };
    }
    default: {
      const unexpected: never = command;
      throw new Error(`inventory module cannot plan ${(unexpected as { type: string }).type}`);
    }
  }
};

export const decideInventory = (command: InventoryCommand, ctx: DecisionContext): StreamEvents[] => {
  const data = command.data as unknown as Record<string, unknown>;
  const inventoryId = requireText(data, 'inventoryId');
  const stream = inventoryStream(inventoryId);
  const state = stateOf<InventoryState>(ctx, stream);
  switch (command.type) {
    case 'OpenInventory': {
      const scope = parseScope(command.data.scope);
      if (!scope) throw new InvalidCommand('scope', 'must be exactly one of {all: true}, {custodian}, {placeId}');
      if ('custodian' in scope)
        requireStream(ctx, personStream(scope.custodian), 'UNKNOWN_PERSON', 'scope.custodian', scope.custodian);
      if ('placeId' in scope)
        requireStream(ctx, placeStream(scope.placeId), 'UNKNOWN_PLACE', 'scope.placeId', scope.placeId);
      if (state.status !== 'none') {
        throw refuse('INVENTORY_EXISTS', `inventory ${inventoryId} was already opened`, 'inventoryId');
      }
      const expected = [...new Set(ctx.itemsInScope ?? [])];
      const events: InventoryEvent[] = [
        { type: 'InventoryOpened', data: { inventoryId, scope, expected, by: command.actor, at: command.at } },
      ];
      return writeTo(stream, events);
    }
    case 'RecordSighting': {
      const itemId = requireText(data, 'itemId');
      const placeId = requireText(data, 'placeId');
      if (state.status === 'none') throw new UnknownReference('UNKNOWN_INVENTORY', 'inventoryId', inventoryId);
      requireStream(ctx, itemStream(itemId), 'UNKNOWN_ITEM', 'itemId', itemId);
      requireStream(ctx, placeStream(placeId), 'UNKNOWN_PLACE', 'placeId', placeId);
      // A sighting is a fact: an item the inventory did not expect, or one seen after closing, is recorded too.
      const expected = state.inventory.expected.includes(itemId);
      const events: InventoryEvent[] = [
        { type: 'ItemSighted', data: { inventoryId, itemId, placeId, expected, by: command.actor, at: command.at } },
      ];
      return writeTo(stream, events);
    }
    case 'CloseInventory': {
      if (state.status === 'none') throw new UnknownReference('UNKNOWN_INVENTORY', 'inventoryId', inventoryId);
      if (state.status === 'closed') {
        throw refuse(
          'INVENTORY_CLOSED',
          `inventory ${inventoryId} was closed at ${state.inventory.closedAt}`,
          'inventoryId',
        );
      }
      const missing = toMarkMissing(state.inventory, ctx);
      const violationIdFor = (itemId: string) => `${command.commandId}:ITEM_MISSING:${itemId}`;
      // 001_6188e2007563e3a6.txt 清查保密 若发现有丢失的,要及时追查处理: each missing item opens (or joins) a loss incident.
      // The custodian when it went missing is the person answerable for it (the report's "responsible").
      const custodianOf = (itemId: string) => itemView(stateOf(ctx, itemStream(itemId)))?.custodian ?? null;
      const { incidentIds, writes: incidentWritesList } = incidentWrites(
        command,
        missing.map((itemId) => ({
          itemId,
          code: 'ITEM_MISSING',
          violationId: violationIdFor(itemId),
          personId: custodianOf(itemId),
          kind: 'loss' as const,
        })),
        ctx,
      );
      const itemWrites = missing.flatMap((itemId) =>
        writeTo(
          itemStream(itemId),
          itemMissingEvents({
            itemId,
            inventoryId,
            at: command.at,
            violationId: violationIdFor(itemId),
            incidentId: incidentIds[itemId],
            personId: custodianOf(itemId),
          }),
        ),
      );
      const closed: InventoryEvent[] = [
        {
          type: 'InventoryClosed',
          data: { inventoryId, sighted: [...state.inventory.sighted], missing, by: command.actor, at: command.at },
        },
      ];
      return [...writeTo(stream, closed), ...itemWrites, ...incidentWritesList];
    }
    default: {
      const unexpected: never = command;
      throw new Error(`inventory module cannot decide ${(unexpected as { type: string }).type}`);
    }
  }
};
