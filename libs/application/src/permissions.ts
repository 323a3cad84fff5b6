import type { CommandName } from '@app/custody';
import type { Role } from './principal';

/** Which role may give which command (contract §8). Approvals are still bounded by the person's rank in the domain. */
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
  RefuseCopy: ['approver'],
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
  // contract §5.1 point 5: the notice is recorded by the registrar or a secrecy officer.
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

/**
 * Who reads an incident report's content (issue 11): the roles that may see its draft (report-draft route) and the
 * admin. BG99 第4条 makes the report the responsible office's account to its supervisor; other roles learn that it was
 * submitted, and when, not what it says.
 */
export const REPORT_READERS: readonly Role[] = ['responder', 'investigator', 'secrecy-officer', 'admin'];

export const mayReadReport = (roles: readonly Role[]): boolean => roles.some((r) => REPORT_READERS.includes(r));

/** An incident as the given roles may see it: without the report's content unless they may read it. */
export const incidentFor = <T extends { report?: unknown }>(roles: readonly Role[], incident: T): T => {
  if (mayReadReport(roles) || incident.report === undefined || incident.report === null) return incident;
  const { report: _content, ...rest } = incident;
  return { ...rest, report: null, reportWithheld: true } as unknown as T;
};
