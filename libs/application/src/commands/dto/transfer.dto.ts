/** Transmission and hand-over (contract §5: DispatchItem, AcknowledgeReceipt, HandOver). */
import { type CommandData, CHANNELS, type Channel } from '@app/custody';
import { IsBool, IsId, IsIdList, IsOneOf, IsText } from './validators';

export class DispatchItemDto {
  static readonly example: CommandData['DispatchItem'] = {
    itemId: 'doc-c',
    to: 'p-a',
    channel: 'encrypted-fax',
    couriers: [],
    approvalRef: 'fax-approval-2026-011',
  };
  @IsId() itemId!: string;
  @IsId() to!: string;
  @IsOneOf(CHANNELS) channel!: Channel;
  /** May be empty (a post channel has no courier); the domain flags what the channel requires. */
  @IsIdList({ optional: true }) couriers?: string[];
  /** The recorded approval an `encrypted-fax` dispatch needs: its reference, as written on it (文号, free text). */
  @IsText(200, { optional: true }) approvalRef?: string;
  /** Or the registered person who approved the encrypted fax. */
  @IsId({ optional: true }) approvedBy?: string;
}

export class AcknowledgeReceiptDto {
  static readonly example: CommandData['AcknowledgeReceipt'] = { itemId: 'doc-ts', by: 'p-gm' };
  @IsId() itemId!: string;
  @IsId() by!: string;
}

export class HandOverDto {
  static readonly example: CommandData['HandOver'] = {
    handoverId: 'ho-2026-014',
    from: 'p-zhang',
    to: 'p-li',
    items: ['doc-1', 'doc-2'],
    itemized: true,
    signedByBoth: true,
    supervisor: 'p-dir',
  };
  @IsId() handoverId!: string;
  @IsId() from!: string;
  @IsId() to!: string;
  /** At least one item: a hand-over of nothing is not a fact. */
  @IsIdList({ min: 1 }) items!: string[];
  @IsBool() itemized!: boolean;
  @IsBool() signedByBoth!: boolean;
  @IsId({ optional: true }) supervisor?: string;
}
