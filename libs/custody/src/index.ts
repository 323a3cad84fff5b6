/** The custody domain's public surface: the router, the commands, the shared contract, the views and the rules. */
export * from './domain';
export * from './commands';
export * from './shared/command';
export * from './shared/errors';
export * from './shared/refusals';
export * from './shared/module';
export * from './shared/streams';
export * from './shared/violation';
export * from './shared/views';
export * from './shared/vocabulary';
export * from './rules/reading-scope';
export * from './rules/violations';
export * from './rules/deadlines';
export {
  itemView,
  itemDeadlineChanges,
  itemMissingEvents,
  ITEM_EVENT_TYPES,
  MAX_PERIOD_YEARS,
  type ItemState,
  type ItemEvent,
} from './item';
export { personView, type PersonState, type PersonEvent } from './person';
export { placeView, type PlaceState, type PlaceEvent } from './place';
export {
  incidentView,
  isReportOverdue,
  reportDueAt,
  investigationDueAt,
  REPORT_FIELDS,
  type IncidentState,
  type IncidentEvent,
} from './incident';
export type { InventoryState, InventoryEvent } from './inventory';
export * from './shared/calendar';
