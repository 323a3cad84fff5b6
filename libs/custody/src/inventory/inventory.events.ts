import type { DomainEvent, InventoryScope } from '../shared/command';
import type { ViolationDetected, ViolationResolved } from '../shared/violation';

/** `expected`: the items held (active or archived) within the scope at opening (contract §5). */
export type InventoryOpened = DomainEvent<
  'InventoryOpened',
  { inventoryId: string; scope: InventoryScope; expected: string[]; by: string; at: string }
>;
/** `expected` false: the item was found though the inventory did not expect it (recorded all the same, a fact). */
export type ItemSighted = DomainEvent<
  'ItemSighted',
  { inventoryId: string; itemId: string; placeId: string; expected: boolean; by: string; at: string }
>;
/** `missing`: the expected items not sighted that the closing marked missing (ITEM_MISSING on each item stream). */
export type InventoryClosed = DomainEvent<
  'InventoryClosed',
  { inventoryId: string; sighted: string[]; missing: string[]; by: string; at: string }
>;

export type InventoryEvent = InventoryOpened | ItemSighted | InventoryClosed | ViolationDetected | ViolationResolved;
