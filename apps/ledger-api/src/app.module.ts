import { type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
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

@Module({})
export class AppModule {
  static forRoot(config: ServiceConfig, clock: Clock): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot()],
      controllers: [CommandsController, ItemsController, ViolationsController, IncidentsController, LedgerController, HealthController],
      providers: [
        { provide: SERVICE_CONFIG, useValue: config },
        { provide: LEDGER_CORE, useFactory: () => LedgerCore.open({ dataDir: config.dataDir, eventstoreUrl: config.eventstoreUrl, clock }) },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        ExecuteLedgerCommandHandler,
        DeadlineScheduler,
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
