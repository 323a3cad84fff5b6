/**
 * The generic ledger (any domain): the EventStore port and its embedded SQLite adapter, the per-stream hash chain,
 * the RFC 9162 Merkle log, signed checkpoints, offline verification, the decider runner and the clock.
 *
 * Public entry point of `@custody-ledger/ledger`. The EventStoreDB adapter is a second entry point,
 * `@custody-ledger/ledger/esdb`, so an embedded user never loads the gRPC client;
 * given/when/then helpers for deciders are `@custody-ledger/ledger/testing`.
 */
export { SystemClock, ManualClock } from './clock/clock';
export type { Clock } from './clock/clock';

export * from './store/event-store.port';
export { SqliteEventStore } from './store/sqlite.event-store';
export type { SqliteEventStoreOptions, SqliteEventStoreStats } from './store/sqlite.event-store';
/** The embedded store's file format this build writes (`PRAGMA user_version` of ledger.sqlite; older ones migrate on open). */
export { STORE_FORMAT } from './store/sqlite.row-codec';
/** @internal Where a worker thread beside a module is, from source or compiled (the read models' rebuild worker). */
export { workerEntry } from './worker/worker-entry';

export { DeciderRunner, IdempotencyKeyReused, commandHashOf } from './decider/decider-runner';
export type {
  AppendedEvent,
  BatchEntry,
  BatchResult,
  BatchView,
  CommandOutcome,
  DecisionWrite,
  DeciderProgram,
  DeciderRunnerOptions,
  LedgerCommand,
  LoadedStream,
  LookupFreshness,
  RunnerContext,
} from './decider/decider-runner';
export { deterministicUuid, eventIdFor } from './decider/deterministic-id';

export * from './integrity';

export * from './note';

export * from './witness';
