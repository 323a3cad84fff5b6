/**
 * Classification, receipt and reading scope (contract §5: ProposeClassification, ReviewClassification,
 * ApproveClassification, RegisterReceivedItem, RecordReading, ExtendScope).
 */
import {
  type CommandData,
  type Outsider,
  type Scope,
  CARRIERS,
  LEVELS,
  RANKS,
  type Carrier,
  type Level,
  type Rank,
} from '@app/custody';
import {
  EitherPeriodYears,
  IsBool,
  IsDateOrDateTime,
  IsId,
  IsIdList,
  IsIntIn,
  IsNested,
  IsOneOf,
  IsOneOfList,
  IsText,
  OrDeclassifyOn,
  OrLongTerm,
} from './validators';

/** The knowledge scope: named persons (may be empty) and the ranks it admits (absent: the level's default). */
export class ScopeDto {
  static readonly example: Scope = { persons: ['p-dir'], ranks: ['executive'] };
  @IsIdList() persons!: string[];
  @IsOneOfList(RANKS, { max: 10, optional: true }) ranks?: Rank[];
}

export class ProposeClassificationDto {
  static readonly example: CommandData['ProposeClassification'] = {
    itemId: 'doc-ts',
    title: 'merger negotiation plan',
    level: 'TOP_SECRET',
    periodYears: 30,
    basis: 'company catalogue 6.2',
    carrier: 'paper',
    scope: { persons: ['p-dir'] },
    copies: 1,
    copyAllowed: true,
  };
  @IsId() itemId!: string;
  @IsText() title!: string;
  @IsOneOf(LEVELS) level!: Level;
  @EitherPeriodYears() periodYears?: number;
  @OrDeclassifyOn() declassifyOn?: string;
  @OrLongTerm() longTerm?: boolean;
  @IsText() basis!: string;
  @IsOneOf(CARRIERS) carrier!: Carrier;
  @IsNested(() => ScopeDto) scope!: ScopeDto;
  @IsIntIn(1, 1000, { optional: true }) copies?: number;
  @IsBool({ optional: true }) copyAllowed?: boolean;
}

export class ReviewClassificationDto {
  static readonly example: CommandData['ReviewClassification'] = {
    itemId: 'doc-ts',
    decision: 'endorse',
    note: 'basis checked',
  };
  @IsId() itemId!: string;
  @IsOneOf(['endorse', 'return']) decision!: 'endorse' | 'return';
  @IsText(undefined, { optional: true }) note?: string;
}

export class ApproveClassificationDto {
  static readonly example: CommandData['ApproveClassification'] = { itemId: 'doc-ts' };
  @IsId() itemId!: string;
}

export class RegisterReceivedItemDto {
  static readonly example: CommandData['RegisterReceivedItem'] = {
    itemId: 'doc-1',
    title: 'municipal directive No. 7',
    level: 'SECRET',
    declassifyOn: '2036-03-02T00:00:00Z',
    basis: 'unit secrecy catalogue 2.1',
    carrier: 'paper',
    sender: 'superior office',
    receivedBy: 'p-zhang',
    scope: { persons: [] },
    copyNo: 3,
    copyAllowed: false,
    issuedOn: '2026-02-20',
    classifiedBy: 'municipal secrecy bureau',
    placeId: 'vault-1',
  };
  @IsId() itemId!: string;
  @IsText() title!: string;
  @IsOneOf(LEVELS) level!: Level;
  @EitherPeriodYears() periodYears?: number;
  @OrDeclassifyOn() declassifyOn?: string;
  @OrLongTerm() longTerm?: boolean;
  @IsText() basis!: string;
  @IsOneOf(CARRIERS) carrier!: Carrier;
  /** The sending office, as written on the receipt (free text: it is usually not a registered person). */
  @IsText() sender!: string;
  @IsId() receivedBy!: string;
  @IsNested(() => ScopeDto) scope!: ScopeDto;
  @IsIntIn(1, 1_000_000, { optional: true }) copyNo?: number;
  @IsBool({ optional: true }) copyAllowed?: boolean;
  /** 制发日: the issue date marked on the item; the period counts from it (else from the receipt). */
  @IsDateOrDateTime({ optional: true }) issuedOn?: string;
  /** The originating organ (定密机关); by default the sender. */
  @IsText(200, { optional: true }) classifiedBy?: string;
  /** Where it is kept, so place-scoped inventories expect it. */
  @IsId({ optional: true }) placeId?: string;
}

/** Someone who is not a registered person: a waiter, a visitor, a journalist (contract §5.1 point 9). */
export class OutsiderDto {
  static readonly example: Outsider = {
    name: 'a waiter of the Riverside restaurant',
    affiliation: 'Riverside restaurant',
  };
  @IsText(200) name!: string;
  @IsText(200, { optional: true }) affiliation?: string;
}

export class RecordReadingDto {
  static readonly example: CommandData['RecordReading'] = { itemId: 'doc-ts', reader: 'p-dir', placeId: 'room-1' };
  @IsId() itemId!: string;
  /** The registered reader; or give `outsider` instead (exactly one of the two). */
  @IsId({ optional: true }) reader?: string;
  @IsNested(() => OutsiderDto, { optional: true }) outsider?: OutsiderDto;
  @IsId() placeId!: string;
}

export class ExtendScopeDto {
  static readonly example: CommandData['ExtendScope'] = { itemId: 'doc-ts', persons: ['p-mgr'] };
  @IsId() itemId!: string;
  /** At least one person: an extension to nobody is not a request. */
  @IsIdList({ min: 1 }) persons!: string[];
}
