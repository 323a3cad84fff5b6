/** Given/when/then helpers for deciders (`@custody-ledger/ledger/testing`). */
export * from './decider-spec';
/** The embedded store's rows, read and written with its own codec; a format-1 file for migration tests. */
export { readStoredEvents, writeFormat1Store, writeStoredEvent } from './sqlite-rows';
export type { Format1Command, SqliteEventRow, StoredRowEvent } from './sqlite-rows';
