/**
 * The violations recorded in one stream and whether each is still open. Every stream state keeps one, so
 * ResolveViolation can refuse a second resolution from the stream it appends to (the read model may lag).
 */
export type ViolationLog = Readonly<Record<string, 'open' | 'resolved'>>;

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
