import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Principal } from './principal';

export interface ServiceConfig {
  port: number;
  dataDir: string;
  eventstoreUrl?: string;
  /** API key → principal. */
  apiKeys: Map<string, Principal>;
  /** True when no keys were configured and a development key was made up at start. */
  devKey?: string;
  /** How often the deadline scheduler looks for due deadlines (ms). */
  schedulerIntervalMs: number;
  /** Requests per minute per API key (per address without a key); /health is exempt. */
  rateLimitPerMinute: number;
  /** Readiness fails (503) when the read models lag the store by more than this many positions. */
  readyMaxLag: number;
  /** Seconds between SSE heartbeats on /api/feed. */
  feedHeartbeatMs: number;
  /** pino level for the structured logs (LOG_LEVEL). */
  logLevel: string;
  /** Where the JSON log lines go (tests capture them); default stdout. */
  logDestination?: { write(line: string): unknown };
}

/** Reads the configuration from the environment (DESIGN §8). */
export const configFromEnv = (env: NodeJS.ProcessEnv = process.env, makeKey: () => string): ServiceConfig => {
  const apiKeys = new Map<string, Principal>();
  let devKey: string | undefined;
  if (env.LEDGER_API_KEYS) {
    const parsed = JSON.parse(env.LEDGER_API_KEYS) as Record<
      string,
      { personId?: string; roles: Principal['roles']; name?: string }
    >;
    for (const [key, p] of Object.entries(parsed))
      apiKeys.set(key, {
        personId: p.personId,
        roles: p.roles,
        name: p.name ?? p.personId ?? `key-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`,
      });
  } else {
    devKey = makeKey();
    apiKeys.set(devKey, {
      name: 'dev-admin',
      roles: ['registrar', 'custodian', 'approver', 'secrecy-officer', 'responder', 'investigator', 'auditor', 'admin'],
    });
  }
  return {
    port: Number(env.PORT ?? 3000),
    dataDir: path.resolve(env.DATA_DIR ?? './data'),
    eventstoreUrl: env.EVENTSTORE_URL || undefined,
    apiKeys,
    devKey,
    schedulerIntervalMs: Number(env.SCHEDULER_INTERVAL_MS ?? 1000),
    rateLimitPerMinute: Number(env.RATE_LIMIT_PER_MINUTE ?? 600),
    readyMaxLag: Number(env.READY_MAX_LAG ?? 1000),
    feedHeartbeatMs: Number(env.FEED_HEARTBEAT_MS ?? 15_000),
    // Under jest the request lines would drown the test report; tests that read logs set their own level.
    logLevel: env.LOG_LEVEL ?? (process.env.JEST_WORKER_ID !== undefined ? 'silent' : 'info'),
  };
};
