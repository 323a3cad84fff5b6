/** People and places (contract §5: RegisterPerson, ChangeClearance, EndProbation, RecordDeparture, RegisterPlace). */
import {
  type CommandData,
  CLEARANCES,
  PLACE_KINDS,
  RANKS,
  type Clearance,
  type PlaceKind,
  type Rank,
} from '@app/custody';
import { IsDateOrDateTime, IsId, IsOneOf, IsText } from './validators';

export class RegisterPersonDto {
  static readonly example: CommandData['RegisterPerson'] = {
    personId: 'p-zhang',
    name: 'Zhang (confidential secretary)',
    rank: 'staff',
    clearance: 'SECRET',
    unit: 'office',
    probationUntil: '2026-09-01T00:00:00Z',
  };
  @IsId() personId!: string;
  @IsText() name!: string;
  @IsOneOf(RANKS) rank!: Rank;
  @IsOneOf(CLEARANCES) clearance!: Clearance;
  @IsText() unit!: string;
  @IsDateOrDateTime({ optional: true }) probationUntil?: string;
}

export class ChangeClearanceDto {
  static readonly example: CommandData['ChangeClearance'] = { personId: 'p-zhang', clearance: 'TOP_SECRET' };
  @IsId() personId!: string;
  @IsOneOf(CLEARANCES) clearance!: Clearance;
}

export class EndProbationDto {
  static readonly example: CommandData['EndProbation'] = { personId: 'p-b' };
  @IsId() personId!: string;
}

export class RecordDepartureDto {
  static readonly example: CommandData['RecordDeparture'] = {
    personId: 'p-zhang',
    decontaminationUntil: '2027-03-01T00:00:00Z',
  };
  @IsId() personId!: string;
  @IsDateOrDateTime() decontaminationUntil!: string;
}

export class RegisterPlaceDto {
  static readonly example: CommandData['RegisterPlace'] = {
    placeId: 'room-1',
    name: 'reading room',
    kind: 'reading-room',
  };
  @IsId() placeId!: string;
  @IsText() name!: string;
  @IsOneOf(PLACE_KINDS) kind!: PlaceKind;
}
