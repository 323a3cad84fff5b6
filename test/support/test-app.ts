/** Boots the real service on port 0 with a temp DATA_DIR and one key per role, for tests that go through HTTP. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ManualClock } from '@app/ledger';
import { createApp } from '../../apps/ledger-api/src/main';
import { docsInstance } from '../../apps/ledger-api/src/docs/openapi';
import { loadConfig, type ServiceConfig, ROLES } from '@app/application';

export interface SurfaceApp {
  app: NestExpressApplication;
  base: string;
  dir: string;
  clock: ManualClock;
  config: ServiceConfig;
  close(): Promise<void>;
}

/** One key per role (`k-<role>`), plus `k-gm` (an executive approver) and `k-zhang` (a custodian). */
export const KEYS: Record<string, { personId?: string; roles: string[]; name?: string }> = {
  ...Object.fromEntries(ROLES.map((r) => [`k-${r}`, { roles: [r], name: `${r} desk` }])),
  'k-gm': { personId: 'p-gm', roles: ['approver'] },
  'k-zhang': { personId: 'p-zhang', roles: ['custodian'] },
};

export const bootSurfaceApp = async (
  env: Record<string, string> = {},
  tweak?: (c: ServiceConfig) => void,
): Promise<SurfaceApp> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-http-'));
  const clock = new ManualClock('2026-03-02T09:00:00Z');
  const config = loadConfig(
    {
      DATA_DIR: dir,
      LEDGER_API_KEYS: JSON.stringify(KEYS),
      SCHEDULER_INTERVAL_MS: '50',
      RATE_LIMIT_PER_MINUTE: '100000',
      AUTH_FAILURES_PER_MINUTE: '100000',
      ...env,
    },
    // Readable short keys (`Bearer k-auditor`) in the specs; the service itself refuses keys under 16 characters.
    { minKeyLength: 1 },
  );
  tweak?.(config);
  const app = await createApp(config, clock);
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  return {
    app,
    base,
    dir,
    clock,
    config,
    close: async () => {
      await app.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are checked field by field in the tests
export type JsonResponse = Omit<Response, 'json'> & { json(): Promise<any> };

export const client = (base: string) => ({
  post: (name: string, body: unknown, key = 'k-admin'): Promise<JsonResponse> =>
    fetch(`${base}/api/commands/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    }),
  get: (p: string, key: string | null = 'k-admin'): Promise<JsonResponse> =>
    fetch(`${base}${p}`, { headers: key ? { authorization: `Bearer ${key}` } : {} }),
});

/** The routes Express holds (Nest's controllers and the /docs routes), as `METHOD /path`. */
export const registeredRoutes = (app: NestExpressApplication): string[] => {
  type Routed = { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } };
  const express = app.getHttpAdapter().getInstance() as Routed;
  // Swagger UI and the OpenAPI document are served by their own instance, mounted on the first /docs request.
  const docs = docsInstance(app) as unknown as Routed | undefined;
  const out = new Set<string>();
  for (const layer of [...express.router.stack, ...(docs?.router.stack ?? [])]) {
    if (!layer.route) continue;
    for (const [method, on] of Object.entries(layer.route.methods))
      // A literal colon is escaped in the route (`commands\\:batch`); the table names the path as clients send it.
      if (on && method !== '_all') out.add(`${method.toUpperCase()} ${layer.route.path.replace(/\\:/g, ':')}`);
  }
  return [...out].sort();
};
