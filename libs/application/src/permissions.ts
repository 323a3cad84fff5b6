import type { CommandName } from '@app/custody';
import type { Role } from './principal';

/** Which role may give which command (DESIGN §8). Approvals are still bounded by the person's rank in the domain. */
export const COMMAND_ROLES: Record<Exclude<CommandName, 'FireDeadline'>, Role[]> = {
  RegisterPerson: ['registrar'],
  ChangeClearance: ['registrar'],
  EndProbation: ['registrar'],
  RecordDeparture: ['registrar'],
  RegisterPlace: ['registrar'],
  RegisterReceivedItem: ['registrar', 'custodian'],
  ProposeClassification: ['approver', 'custodian'],
  ReviewClassification: ['approver'],
  ApproveClassification: ['approver'],
  DispatchItem: ['custodian'],
  AcknowledgeReceipt: ['custodian', 'registrar'],
  HandOver: ['custodian'],
  RecordReading: ['custodian'],
  ExtendScope: ['approver'],
  RequestCopy: ['custodian'],
  ApproveCopy: ['approver'],
  RecordCopy: ['custodian'],
  ApproveLoan: ['approver'],
  RecordLoan: ['custodian'],
  RecordReturn: ['custodian'],
  ApproveCarryOut: ['approver'],
  RecordCarryOut: ['custodian'],
  RecordBringBack: ['custodian'],
  ArchiveItem: ['custodian'],
  RecordGatePassage: ['custodian', 'secrecy-officer'],
  OpenInventory: ['secrecy-officer'],
  RecordSighting: ['secrecy-officer'],
  CloseInventory: ['secrecy-officer'],
  ApproveDestruction: ['approver'],
  RecordDestruction: ['secrecy-officer', 'custodian'],
  ExtendSecrecyPeriod: ['approver'],
  DeclassifyItem: ['approver'],
  ChangeLevel: ['approver'],
  RecordLoss: ['custodian', 'secrecy-officer', 'responder'],
  // DESIGN §5.1 point 5: the notice is recorded by the registrar or a secrecy officer.
  RecordOriginatorNotice: ['registrar', 'secrecy-officer'],
  OpenIncident: ['responder', 'secrecy-officer'],
  RecordRemedialAction: ['responder'],
  MergeIncident: ['responder'],
  SubmitIncidentReport: ['responder'],
  ConcludeInvestigation: ['responder'],
  CloseIncident: ['responder'],
  ResolveViolation: ['secrecy-officer'],
};

export const mayGive = (roles: readonly Role[], command: string): boolean =>
  roles.includes('admin') ||
  (COMMAND_ROLES[command as keyof typeof COMMAND_ROLES] ?? []).some((r) => roles.includes(r));
