import 'reflect-metadata';
import { setFlagsFromString } from 'node:v8';
import type { CanActivate } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { defaultSha256Batch, SystemClock, type Clock } from '@app/ledger';
import { AppModule, GLOBAL_GUARDS } from './app.module';
import { ConfigError, loadConfig, type ServiceConfig } from '@app/application';
import { createLogger, PinoNestLogger } from './logging/logger';
import { requestLogger } from './logging/request-logger';
import { setupOpenApi } from './docs/openapi';
import { installCommandRoute } from './commands/command.route';
import { CommandsController } from './commands/commands.controller';
import { ProblemFilter } from './http/problem.filter';

/** Builds the HTTP application (also used by the end-to-end tests, with their own config and clock). */
export const createApp = async (
  config: ServiceConfig,
  clock: Clock = new SystemClock(),
): Promise<NestExpressApplication> => {
  const logger = createLogger({ level: config.logLevel, destination: config.logDestination });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, clock), {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
  });
  // No ETag: Express would hash every answer (a page of violations or incidents is 35–50 KB) for a conditional GET
  // that no client of this API makes; the answer is computed in full either way (issue 16, docs/decisions.md).
  app.set('etag', false);
  // One JSON line per request (no headers, bodies or query strings), with X-Request-Id echoed back.
  app.use(requestLogger(logger));
  // Bodies are small JSON documents; a limit keeps an oversized body a clean 413.
  app.useBodyParser('json', { limit: '256kb', type: ['application/json', 'application/*+json'] });
  // POST /api/commands/{Name} runs the same guards, controller and filter without Express in between.
  installCommandRoute(app.getHttpServer(), () => ({
    guards: GLOBAL_GUARDS.map((guard) => app.get<CanActivate>(guard)),
    controller: app.get(CommandsController),
    filter: app.get(ProblemFilter),
    logger,
  }));
  app.enableShutdownHooks();
  setupOpenApi(app);
  return app;
};

/**
 * Bounds how far V8's old generation grows past its live heap (HEAP_GROWTH_PERCENT, issue 16): under a dashboard load
 * the garbage of requests in flight at each scavenge is promoted, and V8's own factor let it reach 4× the live heap.
 * A V8 flag set at run time (NODE_OPTIONS refuses it, and `npm start`, the bench and a container start the same
 * main): `heap_growing_percent` is read at each full collection to set the next limit, so it takes effect from the
 * first collection after start (the A/B in docs/benchmarks.md shows it does). Only here, never in createApp: a test
 * process that builds the app keeps its own heap settings.
 */
export const applyHeapGrowth = (percent: number): void => {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
};

const main = async (): Promise<void> => {
  const config = loadConfig(process.env);
  applyHeapGrowth(config.heapGrowthPercent);
  const app = await createApp(config);
  await app.listen(config.port);
  const store = config.eventstoreUrl
    ? `EventStoreDB at ${new URL(config.eventstoreUrl).host}`
    : `embedded store in ${config.dataDir}`;
  console.log(`custody-ledger listening on http://localhost:${config.port} (${store})`);
  if (defaultSha256Batch.name !== 'native') {
    // Not an error (the roots are the same), but an operator should know why checkpoints cost twice what they should.
    console.log(
      'the native SHA-256 batch hasher is not built here: hashing through node:crypto (the same roots, about half the speed); `npm rebuild @custody-ledger/sha256-batch` builds it',
    );
  }
  if (config.devKey) {
    console.log(
      `no LEDGER_API_KEYS configured: development key (all roles) for this run:\n  Authorization: Bearer ${config.devKey}`,
    );
  }
};

if (require.main === module) {
  main().catch((e) => {
    // A bad variable is one line naming it and what it accepts, not a stack trace.
    if (e instanceof ConfigError) console.error(`custody-ledger: ${e.message}`);
    else console.error(e);
    process.exit(1);
  });
}
