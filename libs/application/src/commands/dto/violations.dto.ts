/** Violations (contract §5: ResolveViolation, a request of the secrecy officer). */
import type { CommandData } from '@app/custody';
import { IsDerivedId, IsText } from './validators';

export class ResolveViolationDto {
  static readonly example: CommandData['ResolveViolation'] = {
    violationId: 'v-3f9c2a7d',
    note: 'reading was authorised orally by the general manager; scope extended afterwards',
  };
  @IsDerivedId() violationId!: string;
  @IsText() note!: string;
}
