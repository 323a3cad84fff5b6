/** The secrecy period and level (DESIGN §5: ExtendSecrecyPeriod, DeclassifyItem, ChangeLevel). */
import { type CommandData, LEVELS, type Level } from '@app/custody';
import { IsDateTime, IsId, IsOneOf, IsText } from './validators';

export class ExtendSecrecyPeriodDto {
  static readonly example: CommandData['ExtendSecrecyPeriod'] = {
    itemId: 'doc-1',
    newDeclassifyOn: '2041-03-02T00:00:00Z',
  };
  @IsId() itemId!: string;
  @IsDateTime() newDeclassifyOn!: string;
}

export class DeclassifyItemDto {
  static readonly example: CommandData['DeclassifyItem'] = {
    itemId: 'doc-1',
    reason: 'the negotiation concluded and was announced',
  };
  @IsId() itemId!: string;
  @IsText(undefined, { optional: true }) reason?: string;
}

export class ChangeLevelDto {
  static readonly example: CommandData['ChangeLevel'] = {
    itemId: 'doc-1',
    level: 'CONFIDENTIAL',
    reason: 'figures published in part',
  };
  @IsId() itemId!: string;
  @IsOneOf(LEVELS) level!: Level;
  @IsText(undefined, { optional: true }) reason?: string;
}
