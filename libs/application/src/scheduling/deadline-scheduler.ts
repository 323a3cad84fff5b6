import type { LedgerCore } from '../ledger-core';
import { PeriodicTask } from './periodic-task';

/**
 * Fires deadlines on the clock, not on the next event. At start it first fires everything that fell due while the
 * service was down (deadlines are a read model derived from the store), then looks again every interval.
 */
export class DeadlineScheduler extends PeriodicTask {
  protected readonly taskName = 'deadline scheduler';

  constructor(
    private readonly core: LedgerCore,
    private readonly interval: number,
  ) {
    super();
  }

  protected get intervalMs(): number {
    return this.interval;
  }

  protected work(): Promise<number> {
    return this.core.fireDueDeadlines();
  }
}
