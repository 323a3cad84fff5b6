/**
 * HTTP command throughput (`npm run bench -- http`): the real service in its own process (as `npm start` runs it,
 * embedded SQLite store, group commit, every command durable before its answer), driven by autocannon over loopback
 * with RecordReading commands over 1,000 items at 32 connections. Printed beside the ceiling measured in the same
 * run: the store's own durable append rate with 64 concurrent writers and no HTTP, no domain, no projections.
 *
 * BENCH_CPU_PROF=FILE writes the service's CPU profile there (scripts/cpu-profile.js), for docs/benchmarks.md.
 * BENCH_HTTP_PARTS=single,single-core,batch,core,ceiling,limiter,validation (default: all seven) runs only those parts,
 * so a profile shows one path alone. `core` is the bulk path without HTTP: `LedgerCore.executeBatch` of the same
 * batches in a process of its own per build (bench/batch-core.driver.ts; BENCH_CORE_BATCHES batches of 500, default
 * 20). `single-core` is the single-command path without HTTP the same way (bench/single-core.driver.ts; 32 in flight,
 * BENCH_SINGLE_CORE_COMMANDS, default 6,000), with the main thread's CPU per command.
 * BENCH_HTTP_BASELINE=DIR (a checkout of another commit, built: DIR/dist) measures that build too, its runs interleaved with this
 * build's, so a before/after comparison shares one machine state: how docs/benchmarks.md's before/after rows were taken.
 * On this 2-core machine the load generator and the service share the cores, as they would on one small server.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import autocannon from 'autocannon';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { COMMAND_DTOS, validateCommandData, validateEnvelope } from '@app/application';
import { WindowedThrottlerStorage } from '../apps/ledger-api/src/auth/windowed-throttler.storage';
import { type BenchResult, freePort, median, receivedSecretItem } from './bench-kit';
import { appendRate, withFreshStore } from './store.bench';

const ROOT = path.resolve(__dirname, '..', '..');
const ITEMS = 1_000;
const CONNECTIONS = 32;
const DURATION_S = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const RUNS = 3;
const KEY = 'k-bench-0123456789abcdef';
const PARTS = new Set(
  (process.env.BENCH_HTTP_PARTS ?? 'single,single-core,batch,core,ceiling,limiter,validation')
    .split(',')
    .map((p) => p.trim()),
);

const post = async (base: string, name: string, data: unknown): Promise<void> => {
  const r = await fetch(`${base}/api/commands/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ data }),
  });
  if (r.status !== 200) throw new Error(`${name}: ${r.status} ${await r.text()}`);
};

/** Runs `fn` over `xs` with `n` in flight at a time. */
const pool = async <T>(xs: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> => {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < xs.length) await fn(xs[i++]);
    }),
  );
};

/** One service process (the build at `main`) loaded with the bench's persons, room and items. */
async function startService(dir: string, root: string, label: string) {
  const dataDir = path.join(dir, `http-${label}`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const profFile = label === 'this' ? process.env.BENCH_CPU_PROF : undefined;
  const proc = spawn(
    process.execPath,
    [
      ...(profFile ? ['-r', path.join(ROOT, 'scripts', 'cpu-profile.js')] : []),
      '-r',
      path.join(root, 'scripts', 'register-paths.js'),
      path.join(root, 'dist', 'apps', 'ledger-api', 'src', 'main.js'),
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(port),
        DATA_DIR: dataDir,
        LEDGER_API_KEYS: JSON.stringify({ [KEY]: { name: 'bench', roles: ['admin', 'registrar', 'custodian'] } }),
        RATE_LIMIT_PER_MINUTE: '100000000',
        LOG_LEVEL: 'warn',
        ...(profFile ? { CPU_PROFILE: path.resolve(profFile) } : {}),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  /** CPU seconds the service process has used (Linux /proc; undefined elsewhere). */
  const cpu = (): number | undefined => {
    try {
      const fields = fs.readFileSync(`/proc/${proc.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100/s)
    } catch {
      return undefined;
    }
  };
  const stop = async () => {
    proc.kill('SIGINT');
    await new Promise((r) => proc.once('exit', r));
  };
  try {
    for (let i = 0; ; i++) {
      if (i > 300) throw new Error('the service did not become ready');
      const ok = await fetch(`${base}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    process.stderr.write(`  [${label}] registering 20 persons, a room and ${ITEMS} items…\n`);
    await post(base, 'RegisterPlace', { placeId: 'room-1', name: 'reading room', kind: 'reading-room' });
    await pool(READERS, 8, (personId) =>
      post(base, 'RegisterPerson', { personId, name: personId, rank: 'director', clearance: 'SECRET', unit: 'office' }),
    );
    await post(base, 'RegisterPerson', {
      personId: 'p-zhang',
      name: 'zhang',
      rank: 'staff',
      clearance: 'SECRET',
      unit: 'office',
    });
    await pool(ITEM_IDS, 32, (itemId) => post(base, 'RegisterReceivedItem', receivedSecretItem(itemId)));
  } catch (e) {
    await stop();
    throw e;
  }
  return { base, stop, cpu };
}

const READERS = Array.from({ length: 20 }, (_, i) => `p-r${i}`);
const ITEM_IDS = Array.from({ length: ITEMS }, (_, i) => `doc-${i}`);
const BATCH = 500;
let sent = 0;
const reading = () => {
  const i = sent++;
  return { itemId: ITEM_IDS[i % ITEMS], reader: READERS[i % READERS.length], placeId: 'room-1' };
};

const load = (opts: autocannon.Options) =>
  new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(opts, (err: unknown, res) =>
      err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(res),
    );
  });

/** RecordReading, one command a request, at CONNECTIONS connections. */
const singleRun = async (base: string) => {
  const res = await load({
    url: `${base}/api/commands/RecordReading`,
    connections: CONNECTIONS,
    duration: DURATION_S,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ data: reading() }) }) }],
  });
  if (res.non2xx > 0 || res.errors > 0)
    throw new Error(`${res.non2xx} non-2xx answers and ${res.errors} errors under load`);
  return { rate: res.requests.average, p99: res.latency.p99, done: res.requests.total };
};

/** Batches a batch run sends: a fixed number, so every one is answered inside the window the service's CPU is read over. */
const BATCHES_PER_RUN = Number(process.env.BENCH_HTTP_BATCHES ?? 24);

/**
 * The bulk path: BATCHES_PER_RUN batches of BATCH readings (a gate's or a scanner's burst) over 4 connections. A
 * fixed amount rather than a duration: a batch takes a second or more on a loaded machine, and one cut off by the
 * duration would have its CPU counted and its facts not.
 */
const batchRun = async (base: string) => {
  const start = process.hrtime.bigint();
  const res = await load({
    url: `${base}/api/commands:batch`,
    connections: 4,
    amount: BATCHES_PER_RUN,
    timeout: 120,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({
            commands: Array.from({ length: BATCH }, () => ({ name: 'RecordReading', data: reading() })),
          }),
        }),
      },
    ],
  });
  const wallS = Number(process.hrtime.bigint() - start) / 1e9;
  if (res.non2xx > 0 || res.errors > 0) throw new Error(`${res.non2xx} non-2xx batch answers, ${res.errors} errors`);
  return { rate: (res.requests.total * BATCH) / wallS, p99: res.latency.p99, done: res.requests.total * BATCH };
};

/** `LedgerCore.executeBatch` of the same batches, no HTTP, in a process of its own running `root`'s build. */
/** One run of bench/single-core.driver.ts against the build at `root`. */
const singleCoreRun = (
  root: string,
  dir: string,
): Promise<{ rate: number; cpuUsPerCommand: number; mainUsPerCommand?: number }> =>
  new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [
        '-r',
        path.join(root, 'scripts', 'register-paths.js'),
        path.join(ROOT, 'dist', 'bench', 'single-core.driver.js'),
      ],
      { cwd: root, env: { ...process.env, BENCH_CORE_DIR: dir }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.once('error', reject);
    proc.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`single-core driver (${root}) exited with ${code}`));
      const r = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
        commands: number;
        wallMs: number;
        cpuUsPerCommand: number;
        mainUsPerCommand?: number;
      };
      resolve({
        rate: (r.commands * 1000) / r.wallMs,
        cpuUsPerCommand: r.cpuUsPerCommand,
        mainUsPerCommand: r.mainUsPerCommand,
      });
    });
  });

const coreRun = (root: string, dir: string): Promise<{ rate: number; cpuUsPerFact: number }> =>
  new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ['-r', path.join(root, 'scripts', 'register-paths.js'), path.join(ROOT, 'dist', 'bench', 'batch-core.driver.js')],
      { cwd: root, env: { ...process.env, BENCH_CORE_DIR: dir }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.once('error', reject);
    proc.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`batch-core driver (${root}) exited with ${code}`));
      const r = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
        facts: number;
        wallMs: number;
        cpuUsPerFact: number;
      };
      resolve({ rate: (r.facts * 1000) / r.wallMs, cpuUsPerFact: r.cpuUsPerFact });
    });
  });

/**
 * The rate limiter alone: one principal with LIMITER_HITS hits in its minute (333 commands/s; 5,000/s would be
 * 300,000), then the cost of each further request. The library's storage walks every hit of the window per request.
 */
const LIMITER_HITS = 20_000;
const limiterCost = async (storage: {
  increment(key: string, ttl: number, limit: number, block: number, name: string): Promise<unknown>;
}): Promise<number> => {
  for (let i = 0; i < LIMITER_HITS; i++) await storage.increment('principal:bench', 60_000, 1e9, 60_000, 'default');
  const n = 1_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await storage.increment('principal:bench', 60_000, 1e9, 60_000, 'default');
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
};

/**
 * A RecordReading body's validation (envelope and data, as every command is validated), µs each; beside it, the
 * peer: class-validator's own verdict on the same data (an instance built by class-transformer, then validateSync),
 * which is what a valid command cost before the DTO rules were compiled.
 */
const validationCost = (how: 'ledger' | 'class-validator'): number => {
  const body = { data: { itemId: 'doc-1', reader: 'p-r1', placeId: 'room-1' } };
  const once =
    how === 'ledger'
      ? () => validateEnvelope(body).ok && validateCommandData('RecordReading', body.data).ok
      : () =>
          validateSync(plainToInstance(COMMAND_DTOS.RecordReading, body.data), {
            whitelist: true,
            forbidNonWhitelisted: true,
          }).length === 0;
  for (let i = 0; i < 2_000; i++) if (!once()) throw new Error(`${how}: the body did not validate`);
  const n = 20_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) once();
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
};

export async function runHttpBench(dir: string): Promise<BenchResult[]> {
  const baselineDir = process.env.BENCH_HTTP_BASELINE;
  const builds = [
    { label: 'this', root: ROOT },
    ...(baselineDir ? [{ label: 'baseline', root: path.resolve(baselineDir) }] : []),
  ];
  const services = [];
  try {
    if (PARTS.has('single') || PARTS.has('batch'))
      for (const b of builds) services.push({ ...b, ...(await startService(dir, b.root, b.label)) });
    const figures = new Map<string, number[]>();
    const add = (name: string, v: number) => figures.set(name, [...(figures.get(name) ?? []), v]);
    const suffix = (label: string) => (label === 'this' ? '' : ` [${label}]`);
    for (const [part, run, what] of [
      ['single', singleRun, `RecordReading over ${ITEMS} items, ${CONNECTIONS} connections`],
      ['batch', batchRun, `POST /api/commands:batch, ${BATCH} readings each, 4 connections`],
    ] as const) {
      if (!PARTS.has(part)) continue;
      process.stderr.write(
        `  ${what}, ${DURATION_S} s × ${RUNS}${baselineDir ? ', interleaved with the baseline' : ''}…\n`,
      );
      // One unmeasured run per service first (the JIT, the statements, the folds' cache), as docs/benchmarks.md says.
      if (part === 'batch') for (const s of services) await run(s.base);
      for (let r = 0; r < RUNS; r++) {
        for (const s of services) {
          const before = s.cpu();
          const { rate, p99, done } = await run(s.base);
          const after = s.cpu();
          const name =
            part === 'single'
              ? `HTTP RecordReading, ${CONNECTIONS} connections`
              : `HTTP commands:batch (${BATCH} readings), 4 connections`;
          add(`${name}: ${part === 'single' ? 'commands' : 'facts'}/s${suffix(s.label)}`, rate);
          add(`${name}: p99 latency${part === 'batch' ? ' per batch' : ''}${suffix(s.label)}`, p99);
          // The service's own CPU per command: what a loaded machine's wall clock hides.
          if (before !== undefined && after !== undefined && done > 0)
            add(
              `${name}: service CPU µs per ${part === 'single' ? 'command' : 'fact'}${suffix(s.label)}`,
              ((after - before) * 1e6) / done,
            );
        }
      }
    }
    if (PARTS.has('single-core')) {
      process.stderr.write(
        `  LedgerCore.execute, RecordReading, ${CONNECTIONS} in flight, no HTTP, × ${RUNS} per build…\n`,
      );
      const name = `in-process execute (RecordReading, ${CONNECTIONS} in flight)`;
      for (let r = 0; r < RUNS; r++)
        for (const b of builds) {
          const { rate, cpuUsPerCommand, mainUsPerCommand } = await singleCoreRun(b.root, dir);
          add(`${name}: commands/s${suffix(b.label)}`, rate);
          add(`${name}: CPU µs per command${suffix(b.label)}`, cpuUsPerCommand);
          if (mainUsPerCommand !== undefined)
            add(`${name}: main thread µs per command${suffix(b.label)}`, mainUsPerCommand);
        }
    }
    if (PARTS.has('core')) {
      process.stderr.write(`  LedgerCore.executeBatch, ${BATCH} readings a batch, no HTTP, × ${RUNS} per build…\n`);
      for (let r = 0; r < RUNS; r++)
        for (const b of builds) {
          const { rate, cpuUsPerFact } = await coreRun(b.root, dir);
          add(`in-process executeBatch (${BATCH} readings): facts/s${suffix(b.label)}`, rate);
          add(`in-process executeBatch (${BATCH} readings): CPU µs per fact${suffix(b.label)}`, cpuUsPerFact);
        }
    }
    if (PARTS.has('limiter')) {
      process.stderr.write(
        `  rate limiter: µs per request with ${LIMITER_HITS.toLocaleString()} hits in the window…\n`,
      );
      for (let r = 0; r < RUNS; r++) {
        add(
          'rate limiter, µs per request at 20,000 hits/min from one principal',
          await limiterCost(new WindowedThrottlerStorage()),
        );
        const library = new ThrottlerStorageService();
        add('peer, same run: @nestjs/throttler in-memory storage, µs per request', await limiterCost(library));
        library.onApplicationShutdown();
      }
    }
    if (PARTS.has('validation')) {
      for (let r = 0; r < RUNS; r++) {
        add('validation of a RecordReading body (envelope + data), µs', validationCost('ledger'));
        add('peer, same run: class-validator on the same data, µs', validationCost('class-validator'));
      }
    }
    if (PARTS.has('ceiling')) {
      await withFreshStore(dir, async (store) => {
        for (let r = 0; r < RUNS; r++)
          add('ceiling, same run: store durable appends/s, 64 writers', await appendRate(store, 64));
      });
    }
    return [...figures].map(([name, runs]) => ({
      name,
      value: median(runs),
      unit: name.includes('latency') ? 'ms' : name.includes('µs') || name.includes('limiter') ? 'µs' : '/s',
      runs,
    }));
  } finally {
    for (const s of services) await s.stop();
  }
}
