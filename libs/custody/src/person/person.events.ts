import type { DomainEvent } from '../shared/command';
import type { ViolationDetected, ViolationResolved } from '../shared/violation';
import type { Clearance, Rank } from '../shared/vocabulary';

export type PersonRegistered = DomainEvent<
  'PersonRegistered',
  {
    personId: string;
    name: string;
    rank: Rank;
    clearance: Clearance;
    unit: string;
    probationUntil: string | null;
    at: string;
  }
>;
export type ClearanceChanged = DomainEvent<
  'ClearanceChanged',
  { personId: string; from: Clearance; clearance: Clearance; at: string }
>;
export type ProbationEnded = DomainEvent<'ProbationEnded', { personId: string; at: string }>;
export type PersonDeparted = DomainEvent<
  'PersonDeparted',
  { personId: string; decontaminationUntil: string; at: string }
>;

/** Everything a `person-<id>` stream can hold (DEPARTURE_ITEMS_UNRETURNED violations live here too). */
export type PersonEvent =
  PersonRegistered | ClearanceChanged | ProbationEnded | PersonDeparted | ViolationDetected | ViolationResolved;
