import { CheckpointService, DEFAULT_CHECKPOINT_INTERVAL_MS } from '../checkpoints/checkpoints';
import { PeriodicTask } from './periodic-task';

/** CHECKPOINT_INTERVAL_MS (default 60000); 0 turns the timer off (checkpoints are then signed on demand only). */
export const checkpointIntervalFromEnv = (env: NodeJS.ProcessEnv = process.env): number => {
  const raw = env.CHECKPOINT_INTERVAL_MS;
  const n = raw === undefined || raw === '' ? DEFAULT_CHECKPOINT_INTERVAL_MS : Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`CHECKPOINT_INTERVAL_MS must be a number of milliseconds >= 0, got ${raw}`);
  return n;
};

/**
 * Signs a checkpoint every interval. Periodic signing bounds what can be tampered with unseen: everything up to the
 * latest signed root is committed to (docs/integrity.md §4). A pass on an idle ledger signs nothing
 * (CheckpointService skips when only checkpoints were appended since the last one).
 */
export class CheckpointScheduler extends PeriodicTask {
  protected readonly taskName = 'checkpoint signing';

  /**
   * The first pass runs before the service listens: what was recorded but not yet signed when it last stopped (a
   * crash, say) is committed to at once, not an interval later.
   */
  constructor(
    private readonly checkpoints: CheckpointService,
    private readonly interval: number,
  ) {
    super();
  }

  protected get intervalMs(): number {
    return this.interval;
  }

  protected work(): Promise<unknown> {
    return this.checkpoints.signNow();
  }
}
