import * as path from 'node:path';
import type { Principal } from './core/principal';

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
}

/** Reads the configuration from the environment (DESIGN §8). */
export const configFromEnv = (env: NodeJS.ProcessEnv = process.env, makeKey: () => string): ServiceConfig => {
  const apiKeys = new Map<string, Principal>();
  let devKey: string | undefined;
  if (env.LEDGER_API_KEYS) {
    const parsed = JSON.parse(env.LEDGER_API_KEYS) as Record<string, { personId?: string; roles: Principal['roles']; name?: string }>;
    for (const [key, p] of Object.entries(parsed)) apiKeys.set(key, { personId: p.personId, roles: p.roles, name: p.name ?? p.personId ?? `key-${key.slice(0, 4)}` });
  } else {
    devKey = makeKey();
    apiKeys.set(devKey, { name: 'dev-admin', roles: ['registrar', 'custodian', 'approver', 'secrecy-officer', 'responder', 'investigator', 'auditor', 'admin'] });
  }
  return {
    port: Number(env.PORT ?? 3000),
    dataDir: path.resolve(env.DATA_DIR ?? './data'),
    eventstoreUrl: env.EVENTSTORE_URL || undefined,
    apiKeys,
    devKey,
    schedulerIntervalMs: Number(env.SCHEDULER_INTERVAL_MS ?? 1000),
  };
};
