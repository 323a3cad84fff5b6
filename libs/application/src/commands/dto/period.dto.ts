/**
 * The secrecy period and level (contract §5: ExtendSecrecyPeriod, DeclassifyItem, ChangeLevel; §5.1 point 5:
 * RecordOriginatorNotice).
 */
import { type CommandData, LEVELS, type Level, type OriginatorDecision } from '@app/custody';
import { IsDateOrDateTime, IsId, IsOneOf, IsText } from './validators';

export class ExtendSecrecyPeriodDto {
  static readonly example: CommandData['ExtendSecrecyPeriod'] = {
    itemId: 'doc-1',
    newDeclassifyOn: '2041-03-02T00:00:00Z',
  };
  @IsId() itemId!: string;
  @IsDateOrDateTime() newDeclassifyOn!: string;
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

/** The originating organ's notice about an item classified elsewhere (a fact; contract §5.1 point 5). */
export class RecordOriginatorNoticeDto {
  static readonly example: CommandData['RecordOriginatorNotice'] = {
    itemId: 'doc-1',
    decision: 'extended',
    newDeclassifyOn: '2041-03-02T00:00:00Z',
    noticeRef: '市保密局〔2026〕12号',
  };
  @IsId() itemId!: string;
  @IsOneOf(['declassified', 'extended', 'level-changed']) decision!: OriginatorDecision;
  /** Required when the decision is `extended`. */
  @IsDateOrDateTime({ optional: true }) newDeclassifyOn?: string;
  /** Required when the decision is `level-changed`. */
  @IsOneOf(LEVELS, { optional: true }) level?: Level;
  @IsText(200) noticeRef!: string;
}
