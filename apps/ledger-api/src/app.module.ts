import { type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { CqrsModule } from '@nestjs/cqrs';
import type { Clock } from '@app/ledger/clock/clock';
import type { ServiceConfig } from './config';
import { LedgerCore } from './core/ledger-core';
import { LEDGER_CORE, SERVICE_CONFIG } from './tokens';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ProblemFilter } from './http/problem.filter';
import { CommandsController } from './commands/commands.controller';
import { ExecuteLedgerCommandHandler } from './commands/execute-command';
import { ItemsController } from './items/items.controller';
import { ViolationsController } from './violations/violations.controller';
import { IncidentsController } from './incidents/incidents.controller';
import { LedgerController } from './ledger/ledger.controller';
import { HealthController } from './health/health.controller';
import { DeadlineScheduler } from './core/deadline-scheduler';
import { CheckpointService } from './core/checkpoints';
import { CHECKPOINT_INTERVAL, CheckpointScheduler, checkpointIntervalFromEnv } from './ledger/checkpoint-scheduler';
import { rateLimitOptions } from './auth/rate-limit';
import { FeedController } from './feed/feed.controller';
import { FeedService } from './feed/feed.service';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { CommandMetricsInterceptor } from './metrics/command-metrics.interceptor';
import { DashboardController } from './dashboard/dashboard.controller';

@Module({})
export class AppModule {
  static forRoot(config: ServiceConfig, clock: Clock): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot(), ThrottlerModule.forRoot(rateLimitOptions(config.rateLimitPerMinute))],
      controllers: [CommandsController, ItemsController, ViolationsController, IncidentsController, LedgerController, HealthController,
        FeedController, MetricsController, DashboardController],
      providers: [
        { provide: SERVICE_CONFIG, useValue: config },
        { provide: LEDGER_CORE, useFactory: () => LedgerCore.open({ dataDir: config.dataDir, eventstoreUrl: config.eventstoreUrl, clock }) },
        // Rate limiting first, so floods of bad keys are throttled before they are looked up.
        { provide: APP_GUARD, useClass: ThrottlerGuard },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_INTERCEPTOR, useClass: CommandMetricsInterceptor },
        MetricsService,
        FeedService,
        { provide: APP_FILTER, useClass: ProblemFilter },
        ExecuteLedgerCommandHandler,
        DeadlineScheduler,
        // Signed Merkle checkpoints (key: LEDGER_SIGNING_KEY_FILE or DATA_DIR/signing-key.pem), every CHECKPOINT_INTERVAL_MS.
        { provide: CheckpointService, useFactory: (core: LedgerCore) => CheckpointService.forCore(core), inject: [LEDGER_CORE] },
        { provide: CHECKPOINT_INTERVAL, useFactory: () => checkpointIntervalFromEnv() },
        CheckpointScheduler,
        LedgerLifecycle,
      ],
    };
  }
}

/** Closes the store and read models when Nest shuts down (SIGTERM), so nothing acknowledged is left in a buffer. */
@Injectable()
class LedgerLifecycle implements OnApplicationShutdown {
  constructor(@Inject(LEDGER_CORE) private readonly core: LedgerCore) {}
  async onApplicationShutdown(): Promise<void> {
    await this.core.close();
  }
}
