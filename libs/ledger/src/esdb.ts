/**
 * The EventStoreDB adapter (`@custody-ledger/ledger/esdb`): kept apart from the main entry point so that the
 * embedded default never loads `@eventstore/db-client` and its gRPC stack.
 */
export { EsdbEventStore, toPosition } from './store/esdb.event-store';
export type { EsdbEventStoreOptions } from './store/esdb.event-store';
export {
  EsdbSubscription,
  DEFAULT_RECONNECT,
  streamFilterPredicate,
  streamFilterRegex,
} from './store/esdb.subscription';
export type { ReconnectPolicy } from './store/esdb.subscription';
