/** Taking items out and bringing them back (contract §5: ApproveCarryOut, RecordCarryOut, RecordBringBack, RecordGatePassage). */
import type { CommandData } from '@app/custody';
import { IsDateTime, IsId, IsOneOf } from './validators';

export class ApproveCarryOutDto {
  static readonly example: CommandData['ApproveCarryOut'] = {
    itemId: 'doc-1',
    person: 'p-zhang',
    destination: 'office-branch',
    until: '2026-03-03T18:00:00Z',
  };
  @IsId() itemId!: string;
  @IsId() person!: string;
  /** A registered place id. */
  @IsId() destination!: string;
  @IsDateTime() until!: string;
}

export class RecordCarryOutDto {
  static readonly example: CommandData['RecordCarryOut'] = {
    itemId: 'doc-1',
    person: 'p-zhang',
    destination: 'restaurant',
  };
  @IsId() itemId!: string;
  @IsId() person!: string;
  @IsId() destination!: string;
}

export class RecordBringBackDto {
  static readonly example: CommandData['RecordBringBack'] = {
    itemId: 'doc-1',
    person: 'p-zhang',
    placeId: 'office-1',
    destination: 'ministry',
  };
  @IsId() itemId!: string;
  @IsId() person!: string;
  @IsId({ optional: true }) placeId?: string;
  /** Where it had been carried (as on RecordCarryOut). */
  @IsId({ optional: true }) destination?: string;
}

export class RecordGatePassageDto {
  static readonly example: CommandData['RecordGatePassage'] = { itemId: 'doc-1', gate: 'gate-north', direction: 'out' };
  @IsId() itemId!: string;
  /** The RFID door reader's id. */
  @IsId() gate!: string;
  @IsOneOf(['out', 'in']) direction!: 'out' | 'in';
}
