import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { LedgerCore } from './ledger-core';
import { LEDGER_CORE, SERVICE_CONFIG } from '../tokens';
import type { ServiceConfig } from '../config';

/**
 * Fires deadlines on the clock, not on the next event. At start it first fires everything that fell due while the
 * service was down (deadlines are a read model derived from the store), then looks again every interval.
 */
@Injectable()
export class DeadlineScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    @Inject(LEDGER_CORE) private readonly core: LedgerCore,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.config.schedulerIntervalMs);
    this.timer.unref();
  }

  /** One pass; overlapping passes are skipped. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.core.fireDueDeadlines().catch((e: Error) =>
      console.error(JSON.stringify({ level: 'error', msg: 'deadline scheduler pass failed', error: e.message })),
    );
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
