/** One DTO class per public command (everything in CommandData but the scheduler's FireDeadline). */
import type { CommandData, CommandName } from '@app/custody';
import { ApproveCarryOutDto, RecordBringBackDto, RecordCarryOutDto, RecordGatePassageDto } from './carry-out.dto';
import {
  ApproveClassificationDto,
  ExtendScopeDto,
  ProposeClassificationDto,
  RecordReadingDto,
  RegisterReceivedItemDto,
  ReviewClassificationDto,
} from './classification.dto';
import {
  ApproveCopyDto,
  RefuseCopyDto,
  ApproveLoanDto,
  RecordCopyDto,
  RecordLoanDto,
  RecordReturnDto,
  RequestCopyDto,
} from './copies-loans.dto';
import {
  CloseIncidentDto,
  ConcludeInvestigationDto,
  MergeIncidentDto,
  OpenIncidentDto,
  RecordLossDto,
  RecordRemedialActionDto,
  SubmitIncidentReportDto,
} from './incidents.dto';
import {
  ApproveDestructionDto,
  ArchiveItemDto,
  CloseInventoryDto,
  OpenInventoryDto,
  RecordDestructionDto,
  RecordSightingDto,
} from './inventory-destruction.dto';
import { ChangeLevelDto, DeclassifyItemDto, ExtendSecrecyPeriodDto, RecordOriginatorNoticeDto } from './period.dto';
import {
  ChangeClearanceDto,
  EndProbationDto,
  RecordDepartureDto,
  RegisterPersonDto,
  RegisterPlaceDto,
} from './persons-places.dto';
import { DispatchItemDto, AcknowledgeReceiptDto, HandOverDto } from './transfer.dto';
import { ResolveViolationDto } from './violations.dto';

export * from './carry-out.dto';
export * from './classification.dto';
export * from './copies-loans.dto';
export * from './incidents.dto';
export * from './inventory-destruction.dto';
export * from './period.dto';
export * from './persons-places.dto';
export * from './transfer.dto';
export * from './violations.dto';
export { jsonSchemaOf, SAFE_ID, hasLoneSurrogate } from './validators';

export type PublicCommandName = Exclude<CommandName, 'FireDeadline'>;

/** A DTO class: its instances carry the command's data, `example` is a realistic valid `data`. */
export interface CommandDto<K extends PublicCommandName = PublicCommandName> {
  new (): object;
  readonly example: CommandData[K];
}

const dtos = {
  RegisterPerson: RegisterPersonDto,
  ChangeClearance: ChangeClearanceDto,
  EndProbation: EndProbationDto,
  RecordDeparture: RecordDepartureDto,
  RegisterPlace: RegisterPlaceDto,
  ProposeClassification: ProposeClassificationDto,
  ReviewClassification: ReviewClassificationDto,
  ApproveClassification: ApproveClassificationDto,
  RegisterReceivedItem: RegisterReceivedItemDto,
  DispatchItem: DispatchItemDto,
  AcknowledgeReceipt: AcknowledgeReceiptDto,
  HandOver: HandOverDto,
  RecordReading: RecordReadingDto,
  ExtendScope: ExtendScopeDto,
  RequestCopy: RequestCopyDto,
  ApproveCopy: ApproveCopyDto,
  RefuseCopy: RefuseCopyDto,
  RecordCopy: RecordCopyDto,
  ApproveLoan: ApproveLoanDto,
  RecordLoan: RecordLoanDto,
  RecordReturn: RecordReturnDto,
  ApproveCarryOut: ApproveCarryOutDto,
  RecordCarryOut: RecordCarryOutDto,
  RecordBringBack: RecordBringBackDto,
  ArchiveItem: ArchiveItemDto,
  RecordGatePassage: RecordGatePassageDto,
  OpenInventory: OpenInventoryDto,
  RecordSighting: RecordSightingDto,
  CloseInventory: CloseInventoryDto,
  ApproveDestruction: ApproveDestructionDto,
  RecordDestruction: RecordDestructionDto,
  ExtendSecrecyPeriod: ExtendSecrecyPeriodDto,
  DeclassifyItem: DeclassifyItemDto,
  ChangeLevel: ChangeLevelDto,
  RecordLoss: RecordLossDto,
  RecordOriginatorNotice: RecordOriginatorNoticeDto,
  OpenIncident: OpenIncidentDto,
  RecordRemedialAction: RecordRemedialActionDto,
  MergeIncident: MergeIncidentDto,
  SubmitIncidentReport: SubmitIncidentReportDto,
  ConcludeInvestigation: ConcludeInvestigationDto,
  CloseIncident: CloseIncidentDto,
  ResolveViolation: ResolveViolationDto,
};

export const COMMAND_DTOS: { readonly [K in PublicCommandName]: CommandDto<K> } = dtos;

export const PUBLIC_COMMAND_NAMES = Object.keys(COMMAND_DTOS) as PublicCommandName[];

export const isPublicCommandName = (name: string): name is PublicCommandName =>
  Object.prototype.hasOwnProperty.call(COMMAND_DTOS, name);

// Compile-time proof that each DTO declares exactly the fields of its command's data, with the same types and the
// same required/optional split. The inventory scope is a union the DTO spells as one class with optional keys
// (its "exactly one" rule is a runtime check), so that field is compared on its own.
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? SameKeys<A, B> : false) : false;
type InstanceOf<C> = C extends new () => infer I ? I : never;
type Mismatched = {
  [K in PublicCommandName]: K extends 'OpenInventory'
    ? Same<Omit<InstanceOf<(typeof dtos)[K]>, 'scope'>, Omit<CommandData[K], 'scope'>> extends true
      ? never
      : K
    : Same<InstanceOf<(typeof dtos)[K]>, CommandData[K]> extends true
      ? never
      : K;
}[PublicCommandName];
const dtosMatchCommandData: [Mismatched] extends [never] ? true : Mismatched = true;
void dtosMatchCommandData;
