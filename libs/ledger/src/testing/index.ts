/** Given/when/then helpers for deciders (`@custody-ledger/ledger/testing`). */
export * from './decider-spec';
/** The embedded store's `events` row, for tests that read or edit the file itself. */
export type { EventRow as SqliteEventRow } from '../store/sqlite.event-store';
