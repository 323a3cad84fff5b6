import { Inject, Injectable } from '@nestjs/common';
import type { LedgerCore } from './ledger-core';
import { LEDGER_CORE, SERVICE_CONFIG } from '../tokens';
import type { ServiceConfig } from '../config';
import { PeriodicTask } from './periodic-task';

/**
 * Fires deadlines on the clock, not on the next event. At start it first fires everything that fell due while the
 * service was down (deadlines are a read model derived from the store), then looks again every interval.
 */
@Injectable()
export class DeadlineScheduler extends PeriodicTask {
  protected readonly taskName = 'deadline scheduler';

  constructor(
    @Inject(LEDGER_CORE) private readonly core: LedgerCore,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
  ) {
    super();
  }

  protected get intervalMs(): number {
    return this.config.schedulerIntervalMs;
  }

  protected work(): Promise<number> {
    return this.core.fireDueDeadlines();
  }
}
