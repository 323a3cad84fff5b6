import { Controller, Get, Inject, Res } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import type { LedgerCore, ServiceConfig } from '@app/application';
import { defaultSha256Batch } from '@app/ledger';
import { LEDGER_CORE, SERVICE_CONFIG } from '../tokens';
import { Public } from '../auth/api-key.guard';
import { rollbackBody, rollbackDetail } from '../http/problem';

@Controller('health')
@Public()
@SkipThrottle()
export class HealthController {
  constructor(
    @Inject(LEDGER_CORE) private readonly core: LedgerCore,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
  ) {}

  /**
   * Liveness: the process answers. Also shows the store head, the projected position, and how the Merkle trees hash
   * (`native`: packages/sha256-batch; `node:crypto`: the addon was not built here — the same roots, slower).
   */
  @Get()
  async health() {
    const head = await this.core.store.headPosition().catch(() => undefined);
    const checkpoint = this.core.readModels.runner.checkpoint;
    return {
      status: 'ok',
      store: this.core.config.eventstoreUrl ? 'eventstoredb' : 'embedded',
      head: head ?? null,
      projected: checkpoint ?? null,
      lagging: head !== undefined && (checkpoint ?? -1) < head,
      hashing: defaultSha256Batch.name,
      // Liveness stays 200 (a restart would not help); readiness and writes say 503 STORE_ROLLED_BACK.
      rolledBack: this.core.readModels.runner.rollback ? rollbackBody(this.core.readModels.runner.rollback) : null,
    };
  }

  /**
   * Readiness: the store answers, it is not behind what the read models applied (else 503 STORE_ROLLED_BACK), and the
   * read models lag it by at most READY_MAX_LAG positions; else 503, so a load balancer stops sending queries that
   * would wait on a catch-up.
   */
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: { status(code: number): unknown }) {
    // A store behind what was applied is never ready (contract §4.1), however small the lag looks.
    const rollback = await this.core.readModels.runner.checkStore().catch(() => null);
    if (rollback) {
      res.status(503);
      return {
        status: 'not-ready',
        code: 'STORE_ROLLED_BACK',
        detail: rollbackDetail(rollback),
        rollback: rollbackBody(rollback),
      };
    }
    const checks: { store: 'ok' | 'unreachable'; lag: number | null; maxLag: number } = {
      store: 'ok',
      lag: null,
      maxLag: this.config.readyMaxLag,
    };
    try {
      const head = await this.core.store.headPosition();
      const checkpoint = this.core.readModels.runner.checkpoint;
      checks.lag = head === undefined ? 0 : checkpoint === undefined ? head : Math.max(0, head - checkpoint);
    } catch {
      checks.store = 'unreachable';
    }
    const ready = checks.store === 'ok' && checks.lag !== null && checks.lag <= checks.maxLag;
    res.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not-ready', ...checks };
  }
}
