/**
 * The tail cut with the read models left in place (issue 10): the service must refuse writes with 503
 * STORE_ROLLED_BACK naming both positions, /health/ready must answer 503 with that code, no checkpoint may be signed
 * over the cut store, `verify` must name it, and only `rebuild --accept-rollback` (recorded in the store) lets the
 * service write again. The HTTP service is the real one; the CLI runs as real processes (exit codes).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PUBLIC_KEY_FILE, SqliteEventStore } from '@app/ledger';
import { CheckpointService, ROLLBACK_ACCEPTED, ROLLBACK_STREAM, type LedgerCore } from '@app/application';
import { bootSurfaceApp, client, type SurfaceApp } from '../support/test-app';
import { LEDGER_CORE } from '../../apps/ledger-api/src/tokens';
import { buildLedger, cutTail, runCli, tempDir, type BuiltLedger } from './tamper-kit';

jest.setTimeout(120_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document is walked field by field
type OpenApiDoc = any;
type Schema = {
  $ref?: string;
  type?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  enum?: unknown[];
  nullable?: boolean;
};

/**
 * Where `value` departs from an OpenAPI schema of the document: the subset the document uses ($ref, object with
 * required and properties, enum, nullable, integer/string types). Empty when it conforms.
 */
const schemaProblems = (doc: OpenApiDoc, schema: Schema, value: unknown, at = '$'): string[] => {
  if (schema.$ref)
    return schemaProblems(doc, doc.components.schemas[schema.$ref.split('/').pop()!] as Schema, value, at);
  if (value === null) return schema.nullable ? [] : [`${at} is null`];
  if (schema.enum && !schema.enum.includes(value))
    return [`${at} is ${JSON.stringify(value)}, not one of ${JSON.stringify(schema.enum)}`];
  if (schema.type === 'integer') return Number.isInteger(value) ? [] : [`${at} is not an integer`];
  if (schema.type === 'string') return typeof value === 'string' ? [] : [`${at} is not a string`];
  if (schema.type !== 'object') return [];
  if (typeof value !== 'object' || Array.isArray(value)) return [`${at} is not an object`];
  const o = value as Record<string, unknown>;
  return [
    ...(schema.required ?? []).filter((k) => !(k in o)).map((k) => `${at}.${k} is missing`),
    ...Object.entries(schema.properties ?? {})
      .filter(([k]) => k in o)
      .flatMap(([k, s]) => schemaProblems(doc, s, o[k], `${at}.${k}`)),
  ];
};

const person = (id: string) => ({
  data: { personId: id, name: id, rank: 'staff', clearance: 'SECRET', unit: 'hq' },
});

describe('a store cut back behind the read models (the service, verify and rebuild)', () => {
  let root: string;
  let built: BuiltLedger;
  let dataDir: string;
  let appliedPosition: number;
  let app: SurfaceApp | undefined;

  beforeAll(async () => {
    root = tempDir('rollback-service');
    dataDir = path.join(root, 'data');
    built = await buildLedger(dataDir);
    const store = SqliteEventStore.open(path.join(dataDir, 'ledger.sqlite'));
    appliedPosition = (await store.headPosition())!;
    await store.close();
    // The insider deletes the last third (and the checkpoint that covered it); read-models.sqlite stays.
    expect(cutTail(dataDir, built.firstCheckpointPosition)).toBeGreaterThan(10);
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const storeHead = async (): Promise<number | undefined> => {
    const store = SqliteEventStore.open(path.join(dataDir, 'ledger.sqlite'));
    try {
      return await store.headPosition();
    } finally {
      await store.close();
    }
  };

  it('refuses writes with 503 STORE_ROLLED_BACK naming both positions, is not ready, and signs nothing', async () => {
    app = await bootSurfaceApp({ DATA_DIR: dataDir, CHECKPOINT_INTERVAL_MS: '0' });
    const http = client(app.base);

    const refused = await http.post('RegisterPerson', person('p-late'), 'k-registrar');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const problem = await refused.json();
    expect(problem).toMatchObject({
      status: 503,
      code: 'STORE_ROLLED_BACK',
      rollback: { reason: 'shorter', applied: { position: appliedPosition }, storeHead: built.firstCheckpointPosition },
    });
    expect(problem.detail).toContain(`position ${appliedPosition}`);
    expect(problem.detail).toContain(`position ${built.firstCheckpointPosition}`);

    const ready = await http.get('/health/ready', null);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      status: 'not-ready',
      code: 'STORE_ROLLED_BACK',
      rollback: { applied: { position: appliedPosition }, storeHead: built.firstCheckpointPosition },
    });
    // The service's own audit says it too.
    const audit = await http.get('/api/ledger/verify', 'k-auditor');
    expect(await audit.json()).toMatchObject({ ok: false, storeRollback: { reason: 'shorter' } });
    const health = await http.get('/health', null);
    expect(health.status).toBe(200);
    expect((await health.json()).rolledBack).toMatchObject({ reason: 'shorter' });

    // Neither the on-demand endpoint nor the signer itself signs a tree over the cut store.
    const core = app.app.get<LedgerCore>(LEDGER_CORE);
    await expect(CheckpointService.forCore(core, {}).signNow()).rejects.toMatchObject({ code: 'STORE_ROLLED_BACK' });
    const signed = await fetch(`${app.base}/api/ledger/checkpoints`, {
      method: 'POST',
      headers: { authorization: 'Bearer k-auditor', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(signed.status).toBe(503);
    expect(((await signed.json()) as { code: string }).code).toBe('STORE_ROLLED_BACK');

    // What was answered is what the OpenAPI document says those routes answer (status, media type, schema).
    const doc = (await (await fetch(`${app.base}/docs/json`)).json()) as OpenApiDoc;
    const documented = (route: string, method: string, media: string) =>
      doc.paths[route][method].responses['503'].content[media].schema;
    expect(
      schemaProblems(doc, documented('/api/commands/RegisterPerson', 'post', 'application/problem+json'), problem),
    ).toEqual([]);
    expect(
      schemaProblems(
        doc,
        documented('/health/ready', 'get', 'application/json'),
        await (await http.get('/health/ready', null)).json(),
      ),
    ).toEqual([]);
    const signedAgain = await fetch(`${app.base}/api/ledger/checkpoints`, {
      method: 'POST',
      headers: { authorization: 'Bearer k-auditor', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(signedAgain.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(
      schemaProblems(
        doc,
        documented('/api/ledger/checkpoints', 'post', 'application/problem+json'),
        await signedAgain.json(),
      ),
    ).toEqual([]);

    await app.close();
    app = undefined;
    expect(await storeHead()).toBe(built.firstCheckpointPosition);
  });

  it('verify names the rolled-back store (exit 1); a plain rebuild refuses (exit 1) and keeps the evidence', async () => {
    const key = path.join(root, 'pinned.pub.pem');
    fs.copyFileSync(path.join(dataDir, PUBLIC_KEY_FILE), key);
    const verify = await runCli(['verify', '--data-dir', dataDir, '--public-key', key, '--json']);
    expect(verify.code).toBe(1);
    expect(verify.json()).toMatchObject({
      ok: false,
      storeRollback: {
        reason: 'shorter',
        applied: { position: appliedPosition },
        storeHead: built.firstCheckpointPosition,
      },
    });
    const human = await runCli(['verify', '--data-dir', dataDir, '--public-key', key]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/FAILED the store was rolled back \(STORE_ROLLED_BACK, shorter\)/);

    const rebuild = await runCli(['rebuild', '--data-dir', dataDir]);
    expect(rebuild.code).toBe(1);
    expect(rebuild.stderr).toMatch(/refused: STORE_ROLLED_BACK \(shorter\)/);
    expect(rebuild.stderr).toMatch(/--accept-rollback/);
    // Still refused afterwards: the refusal kept the read models' memory.
    expect((await runCli(['verify', '--data-dir', dataDir, '--public-key', key, '--json'])).code).toBe(1);
  });

  it('rebuild --accept-rollback records the acceptance in the store; the service then writes and is ready again', async () => {
    const accepted = await runCli([
      'rebuild',
      '--data-dir',
      dataDir,
      '--accept-rollback',
      '--note',
      'restored the nightly backup',
      '--json',
    ]);
    expect(accepted.code).toBe(0);
    expect(accepted.json()).toMatchObject({
      ok: true,
      acceptedRollback: {
        reason: 'shorter',
        applied: { position: appliedPosition },
        storeHead: built.firstCheckpointPosition,
        note: 'restored the nightly backup',
      },
      acceptanceEvent: { streamId: ROLLBACK_STREAM, revision: 0 },
    });
    const store = SqliteEventStore.open(path.join(dataDir, 'ledger.sqlite'));
    const [event] = await store.readStream(ROLLBACK_STREAM);
    const stored = (await store.readAll()).length;
    await store.close();
    expect(event.type).toBe(ROLLBACK_ACCEPTED);
    // The final report counts every event replayed (the acceptance included) and how fast.
    expect(accepted.json()).toMatchObject({ events: stored, eventsPerSecond: expect.any(Number) });
    expect(String(event.metadata.actor)).toMatch(/^operator:/);

    app = await bootSurfaceApp({ DATA_DIR: dataDir, CHECKPOINT_INTERVAL_MS: '0' });
    const http = client(app.base);
    expect((await http.get('/health/ready', null)).status).toBe(200);
    const ok = await http.post('RegisterPerson', person('p-after'), 'k-registrar');
    expect(ok.status).toBeLessThan(300);
  });
});
