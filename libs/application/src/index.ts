/**
 * The application layer (`@custody-ledger/application`): the use cases both apps run — open the ledger, execute a
 * command for a principal, history, exposure, report draft, verification, checkpoints, export — and `LedgerModule`
 * for anyone embedding the ledger in a Nest service. No HTTP types: errors are typed (a `code` and a `status` hint)
 * and mapped to HTTP by the host (apps/ledger-api maps them to problem+json in one filter).
 */
export { LedgerCore, fireDeadlineCommand, openStore } from './ledger-core';
export type { BatchAnswer, BatchOptions, CommandResponse, LedgerConfig } from './ledger-core';
export { Ledger } from './ledger';
export type { LedgerOpenOptions, LedgerVerifyRequest } from './ledger';
export { LedgerModule, LEDGER_OPTIONS } from './ledger.module';
export type { LedgerModuleOptions, LedgerModuleAsyncOptions } from './ledger.module';

export { ROLES, actorOf, idempotencyScopeOf } from './principal';
export type { Principal, Role } from './principal';
export { COMMAND_ROLES, REPORT_READERS, incidentFor, mayGive, mayReadReport } from './permissions';
export { BeforeItemExisted, ForbiddenCommand, RequestValidationError, StoreRolledBack, UnknownCommand } from './errors';
export type { FieldError } from './errors';
export { custodyProgram } from './custody-program';
export { loadConfig, ConfigError, CONFIG_VARIABLES, LOG_LEVELS, MIN_API_KEY_LENGTH } from './config';
export type { ServiceConfig, LoadConfigOptions, ConfigVariable, LogLevel, WitnessConfig } from './config';

export * from './commands/dto';
export { MAX_DATA_DEPTH, validateCommandData, validateEnvelope } from './commands/validate-command';
export type { CommandDataValidation, EnvelopeValidation } from './commands/validate-command';

export * from './investigation/history';
export * from './investigation/exposure';
export * from './investigation/report-draft';

export * from './checkpoints/checkpoints';
export * from './checkpoints/signing-keys';
export * from './witnesses/witness-publisher';
export { witnessVerifier } from './witnesses/witness-keys';
export {
  WitnessQuorumNotReached,
  witnessedCheckpoint,
  type WitnessedCheckpoint,
} from './witnesses/witnessed-checkpoint';
export * from './verification/verify-ledger';
export * from './verification/trusted-state';
export * from './verification/key-trust';
export * from './verification/rebuild-read-models';
export * from './bundle/bundle';
export * from './bundle/export-bundle';

export { PeriodicTask } from './scheduling/periodic-task';
export { DeadlineScheduler } from './scheduling/deadline-scheduler';
export { CheckpointScheduler } from './scheduling/checkpoint-scheduler';

export * from './i18n';
export * from './approvals/pending-requests';
export * from './investigation/history-text';
export * from './notifications';
