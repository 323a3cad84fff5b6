/**
 * The violations recorded in one stream and whether each is still open. Every stream state keeps one, so
 * ResolveViolation can refuse a second resolution from the stream it appends to (the read model may lag).
 */
import type { ViolationDetected, ViolationResolved } from '../shared/violation';

export type ViolationLog = Readonly<Record<string, 'open' | 'resolved'>>;

type ViolationEvent = ViolationDetected | ViolationResolved;

/**
 * The violation arm of every stream's evolve, written once: ViolationDetected / ViolationResolved update the state's
 * log; every other event goes to the stream's own evolve, which then never sees a violation event.
 */
export const withViolationLog =
  <S extends { violations: ViolationLog }, E extends { type: string; data: unknown }>(
    evolve: (state: S, event: Exclude<E, ViolationEvent>) => S,
  ) =>
  (state: S, event: E): S =>
    event.type === 'ViolationDetected' || event.type === 'ViolationResolved'
      ? { ...state, violations: evolveViolationLog(state.violations, event) }
      : evolve(state, event as Exclude<E, ViolationEvent>);

/** Folds ViolationDetected / ViolationResolved into a log; any other event leaves it as it is. */
export const evolveViolationLog = (log: ViolationLog, event: { type: string; data: unknown }): ViolationLog => {
  if (event.type === 'ViolationDetected') {
    const id = (event.data as { violationId: string }).violationId;
    // A violation recorded twice (it cannot be, ids are derived) must not reopen a resolved one.
    return id in log ? log : { ...log, [id]: 'open' };
  }
  if (event.type === 'ViolationResolved') {
    return { ...log, [(event.data as { violationId: string }).violationId]: 'resolved' };
  }
  return log;
};

/** The status a folded stream state records for a violation, or null when the state keeps no such log entry. */
export const violationStatusIn = (state: unknown, violationId: string): 'open' | 'resolved' | null => {
  const log = (state as { violations?: unknown } | null | undefined)?.violations;
  if (!log || typeof log !== 'object' || Array.isArray(log)) return null;
  const status = (log as Record<string, unknown>)[violationId];
  return status === 'open' || status === 'resolved' ? status : null;
};
