import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { CqrsModule } from '@nestjs/cqrs';
import type { Clock } from '@app/ledger';
import { type ServiceConfig, CheckpointService, Ledger, LedgerModule } from '@app/application';
import { LEDGER_CORE, SERVICE_CONFIG } from './tokens';
import { ApiKeyGuard } from './auth/api-key.guard';
import { RouteThrottlerGuard } from './auth/route-throttler.guard';
import { ProblemFilter } from './http/problem.filter';
import { QueryGuard } from './http/query.guard';
import { CommandsController } from './commands/commands.controller';
import { CommandBatchController } from './commands/command-batch.controller';
import { ExecuteLedgerCommandHandler } from './commands/execute-command';
import { ItemsController } from './items/items.controller';
import { ViolationsController } from './violations/violations.controller';
import { IncidentsController } from './incidents/incidents.controller';
import { LedgerController } from './ledger/ledger.controller';
import { HealthController } from './health/health.controller';
import { rateLimitOptions } from './auth/rate-limit';
import { FeedController } from './feed/feed.controller';
import { FeedService } from './feed/feed.service';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { ApprovalsController } from './approvals/approvals.controller';
import { NotificationsController } from './notifications/notifications.controller';
import { DashboardController } from './dashboard/dashboard.controller';

/** The global guards, in the order they run. */
export const GLOBAL_GUARDS = [RouteThrottlerGuard, ApiKeyGuard, QueryGuard] as const;

@Module({})
export class AppModule {
  static forRoot(config: ServiceConfig, clock: Clock): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // One way in: the ledger (store, read models, deadline and checkpoint schedulers) comes from LedgerModule.
        LedgerModule.forRoot({
          dataDir: config.dataDir,
          eventstoreUrl: config.eventstoreUrl,
          clock,
          schedulerIntervalMs: config.schedulerIntervalMs,
          checkpointIntervalMs: config.checkpointIntervalMs,
          signingKeyFile: config.signingKeyFile,
          ledgerId: config.ledgerId,
          witnesses: config.witnesses,
          witnessRetry: config.witnessRetry,
          webhooks: { hooks: config.webhooks, publicUrl: config.publicUrl, retryBaseMs: config.webhookRetryMs },
        }),
        CqrsModule.forRoot(),
        ThrottlerModule.forRoot(rateLimitOptions(config.rateLimitPerMinute, config.apiKeys)),
      ],
      controllers: [
        CommandBatchController,
        CommandsController,
        NotificationsController,
        ItemsController,
        ViolationsController,
        IncidentsController,
        LedgerController,
        HealthController,
        FeedController,
        MetricsController,
        DashboardController,
        ApprovalsController,
      ],
      providers: [
        { provide: SERVICE_CONFIG, useValue: config },
        // The service's controllers use the core and the checkpoint service of the one Ledger LedgerModule opens.
        { provide: LEDGER_CORE, useFactory: (ledger: Ledger) => ledger.core, inject: [Ledger] },
        { provide: CheckpointService, useFactory: (ledger: Ledger) => ledger.checkpoints, inject: [Ledger] },
        // Rate limiting first, so floods of bad keys are throttled before they are looked up. Each guard and the
        // filter is also a provider of its own, so the commands route below Express (command.route.ts) runs the
        // same instances in the same order: GLOBAL_GUARDS.
        RouteThrottlerGuard,
        ApiKeyGuard,
        QueryGuard,
        ...GLOBAL_GUARDS.map((guard) => ({ provide: APP_GUARD, useExisting: guard })),
        MetricsService,
        FeedService,
        ProblemFilter,
        { provide: APP_FILTER, useExisting: ProblemFilter },
        ExecuteLedgerCommandHandler,
      ],
    };
  }
}
