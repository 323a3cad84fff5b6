import { Controller, Get, Inject } from '@nestjs/common';
import type { LedgerCore } from '../core/ledger-core';
import { LEDGER_CORE } from '../tokens';
import { Public } from '../auth/api-key.guard';

@Controller()
export class HealthController {
  constructor(@Inject(LEDGER_CORE) private readonly core: LedgerCore) {}

  /** Liveness plus what readiness needs: store reachable, projection lag. */
  @Get('health')
  @Public()
  async health() {
    const head = await this.core.store.headPosition();
    const checkpoint = this.core.readModels.runner.checkpoint;
    return { status: 'ok', store: this.core.config.eventstoreUrl ? 'eventstoredb' : 'embedded', head: head ?? null, projected: checkpoint ?? null,
      lagging: head !== undefined && (checkpoint ?? -1) < head };
  }
}
