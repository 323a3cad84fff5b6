import type { DomainEvent } from '../shared/command';
import type { ViolationDetected, ViolationResolved } from '../shared/violation';
import type { PlaceKind } from '../shared/vocabulary';

export type PlaceRegistered = DomainEvent<
  'PlaceRegistered',
  { placeId: string; name: string; kind: PlaceKind; at: string }
>;

/** Everything a `place-<id>` stream can hold; no rule flags a violation here yet, but a stream must fold them. */
export type PlaceEvent = PlaceRegistered | ViolationDetected | ViolationResolved;
