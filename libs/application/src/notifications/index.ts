export * from './webhook-config';
export { DUE_SOON_HOURS, deliveryIdOf, notificationsFor } from './notification-plan';
export type { KnownIncident, PlannedNotification } from './notification-plan';
export { signBody, verifySignature } from './webhook-signature';
export { WebhookNotifier } from './webhook-notifier';
export type { DeliveryRow, DeliveryStatus } from './webhook-notifier';
