/**
 * `LedgerModule`: the ledger for anyone embedding it in a Nest service. The one file of libs/application that
 * imports Nest (the layer test checks that): the use cases themselves stay framework-free.
 *
 *   @Module({ imports: [LedgerModule.forRoot({ dataDir: './data' })] })
 *   class AppModule {}
 *   // then: constructor(private readonly ledger: Ledger) {}
 */
import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { Ledger, type LedgerOpenOptions } from './ledger';

export const LEDGER_OPTIONS = Symbol('LEDGER_OPTIONS');

export type LedgerModuleOptions = LedgerOpenOptions & {
  /** Run the deadline and checkpoint schedulers with the module (default true). */
  schedulers?: boolean;
};

export interface LedgerModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  // Nest's own injection tokens: any provider token (a class, a string or a symbol).
  inject?: (string | symbol | (abstract new (...args: never[]) => unknown))[];
  useFactory: (...args: never[]) => LedgerModuleOptions | Promise<LedgerModuleOptions>;
  /** Make `Ledger` injectable everywhere without importing the module again. */
  global?: boolean;
}

/** Starts the schedulers when the module is ready and closes the ledger on shutdown (SIGTERM with enableShutdownHooks). */
@Injectable()
class LedgerLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly ledger: Ledger,
    @Inject(LEDGER_OPTIONS) private readonly options: LedgerModuleOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.options.schedulers !== false) await this.ledger.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.ledger.close();
  }
}

const ledgerProvider = {
  provide: Ledger,
  useFactory: (options: LedgerModuleOptions) => Ledger.open(options),
  inject: [LEDGER_OPTIONS],
};

@Module({})
export class LedgerModule {
  static forRoot(options: LedgerModuleOptions & { global?: boolean }): DynamicModule {
    return {
      module: LedgerModule,
      global: options.global ?? false,
      providers: [{ provide: LEDGER_OPTIONS, useValue: options }, ledgerProvider, LedgerLifecycle],
      exports: [Ledger],
    };
  }

  static forRootAsync(options: LedgerModuleAsyncOptions): DynamicModule {
    return {
      module: LedgerModule,
      global: options.global ?? false,
      imports: options.imports ?? [],
      providers: [
        { provide: LEDGER_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        ledgerProvider,
        LedgerLifecycle,
      ],
      exports: [Ledger],
    };
  }
}
