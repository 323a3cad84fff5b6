/**
 * Archive, inventories and destruction (contract §5: ArchiveItem, OpenInventory, RecordSighting, CloseInventory,
 * ApproveDestruction, RecordDestruction).
 */
import type { CommandData } from '@app/custody';
import { IsId, IsIdList, IsNested, IsOneOf, IsText } from './validators';

export class ArchiveItemDto {
  static readonly example: CommandData['ArchiveItem'] = { itemId: 'doc-1', placeId: 'vault-1' };
  @IsId() itemId!: string;
  @IsId() placeId!: string;
}

/** Exactly one of `{all: true}`, `{custodian}`, `{placeId}` (the parent property checks "exactly one"). */
export class InventoryScopeDto {
  static readonly example = { custodian: 'p-keeper' };
  @IsOneOf([true], { optional: true }) all?: true;
  @IsId({ optional: true }) custodian?: string;
  @IsId({ optional: true }) placeId?: string;
}

export class OpenInventoryDto {
  static readonly example: CommandData['OpenInventory'] = {
    inventoryId: 'inv-2026-q1',
    scope: { custodian: 'p-keeper' },
  };
  @IsId() inventoryId!: string;
  @IsNested(() => InventoryScopeDto, { exactlyOneOf: ['all', 'custodian', 'placeId'] }) scope!: InventoryScopeDto;
}

export class RecordSightingDto {
  static readonly example: CommandData['RecordSighting'] = {
    inventoryId: 'inv-2026-q1',
    itemId: 'doc-1',
    placeId: 'vault-1',
  };
  @IsId() inventoryId!: string;
  @IsId() itemId!: string;
  @IsId() placeId!: string;
}

export class CloseInventoryDto {
  static readonly example: CommandData['CloseInventory'] = { inventoryId: 'inv-2026-q1' };
  @IsId() inventoryId!: string;
}

export class ApproveDestructionDto {
  static readonly example: CommandData['ApproveDestruction'] = { itemId: 'doc-1' };
  @IsId() itemId!: string;
}

export class RecordDestructionDto {
  static readonly example: CommandData['RecordDestruction'] = {
    itemId: 'doc-1',
    method: 'shredding',
    placeId: 'site-1',
    witnesses: ['p-w1', 'p-w2'],
  };
  @IsId() itemId!: string;
  @IsText() method!: string;
  @IsId() placeId!: string;
  /** May hold fewer than two: the destruction is still a fact, and DESTRUCTION_WITNESSES_LT2 is flagged beside it. */
  @IsIdList() witnesses!: string[];
}
