import type { DomainEvent } from './command';
import type { Severity } from './vocabulary';

/**
 * A rule break, recorded beside the fact that broke it (contract §2.1). It lives in the stream of the fact
 * (usually the item's), and always names the item and the person it concerns where one applies, so the
 * violations view can index it whatever stream it is in.
 */
export interface ViolationDetectedData {
  /** Derived from the cause (command id, code, item), so a retry or replay never records it twice. */
  violationId: string;
  code: string;
  severity: Severity;
  itemId: string | null;
  personId: string | null;
  /** Where the rule comes from, e.g. `002_c292fe519fc09962.txt 第21条`. */
  source: string;
  detail: string;
  /** When the rule was broken (occurredAt of the fact, or the deadline's due instant). */
  at: string;
  /** The incident this violation opened or joined, if any. */
  incidentId?: string;
}
export type ViolationDetected = DomainEvent<'ViolationDetected', ViolationDetectedData>;

export interface ViolationResolvedData {
  violationId: string;
  note: string;
  resolvedBy: string;
  at: string;
}
export type ViolationResolved = DomainEvent<'ViolationResolved', ViolationResolvedData>;
