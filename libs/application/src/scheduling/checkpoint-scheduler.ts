import type { CheckpointService } from '../checkpoints/checkpoints';
import { PeriodicTask } from './periodic-task';

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
