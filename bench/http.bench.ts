/**
 * HTTP command throughput (`npm run bench -- http`): the real service in its own process (as `npm start` runs it,
 * embedded SQLite store, group commit, every command durable before its answer), driven by autocannon over loopback
 * with RecordReading commands over 1,000 items at 32 connections. Printed beside the ceiling measured in the same
 * run: the store's own durable append rate with 64 concurrent writers and no HTTP, no domain, no projections.
 *
 * BENCH_CPU_PROF=FILE writes the service's CPU profile there (scripts/cpu-profile.js), for docs/benchmarks.md.
 * On this 2-core machine the load generator and the service share the cores, as they would on one small server.
 */
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import autocannon from 'autocannon';
import { type BenchResult, median } from './bench-kit';
import { appendRate, withFreshStore } from './store.bench';

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'apps', 'ledger-api', 'src', 'main.js');
const REGISTER = path.join(ROOT, 'scripts', 'register-paths.js');
const ITEMS = 1_000;
const CONNECTIONS = 32;
const DURATION_S = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const RUNS = 3;
const KEY = 'k-bench-0123456789abcdef';

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

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

export async function runHttpBench(dir: string): Promise<BenchResult[]> {
  const dataDir = path.join(dir, 'http');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const profFile = process.env.BENCH_CPU_PROF;
  const proc = spawn(
    process.execPath,
    [...(profFile ? ['-r', path.join(ROOT, 'scripts', 'cpu-profile.js')] : []), '-r', REGISTER, MAIN],
    {
      cwd: ROOT,
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
    process.stderr.write(`  registering 20 persons, a room and ${ITEMS} items…\n`);
    const readers = Array.from({ length: 20 }, (_, i) => `p-r${i}`);
    await post(base, 'RegisterPlace', { placeId: 'room-1', name: 'reading room', kind: 'reading-room' });
    await pool(readers, 8, (personId) =>
      post(base, 'RegisterPerson', { personId, name: personId, rank: 'director', clearance: 'SECRET', unit: 'office' }),
    );
    await post(base, 'RegisterPerson', {
      personId: 'p-zhang',
      name: 'zhang',
      rank: 'staff',
      clearance: 'SECRET',
      unit: 'office',
    });
    const items = Array.from({ length: ITEMS }, (_, i) => `doc-${i}`);
    await pool(items, 32, (itemId) =>
      post(base, 'RegisterReceivedItem', {
        itemId,
        title: `directive ${itemId}`,
        level: 'SECRET',
        periodYears: 10,
        basis: 'catalogue',
        carrier: 'paper',
        sender: 'bureau',
        receivedBy: 'p-zhang',
        scope: { persons: [] },
      }),
    );
    let n = 0;
    const once = () =>
      new Promise<autocannon.Result>((resolve, reject) => {
        autocannon(
          {
            url: `${base}/api/commands/RecordReading`,
            connections: CONNECTIONS,
            duration: DURATION_S,
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
            requests: [
              {
                setupRequest: (req) => {
                  const i = n++;
                  return {
                    ...req,
                    body: JSON.stringify({
                      data: { itemId: items[i % ITEMS], reader: readers[i % readers.length], placeId: 'room-1' },
                    }),
                  };
                },
              },
            ],
          },
          (err: Error | null, res) => (err ? reject(err) : resolve(res)),
        );
      });
    process.stderr.write(
      `  RecordReading over ${ITEMS} items, ${CONNECTIONS} connections, ${DURATION_S} s × ${RUNS}…\n`,
    );
    const rates: number[] = [];
    const p99s: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const res = await once();
      if (res.non2xx > 0 || res.errors > 0)
        throw new Error(`${res.non2xx} non-2xx answers and ${res.errors} errors under load`);
      rates.push(res.requests.average);
      p99s.push(res.latency.p99);
    }
    // The bulk path: batches of 500 readings (a gate's or a scanner's burst), 4 connections.
    const BATCH = 500;
    const batchOnce = () =>
      new Promise<autocannon.Result>((resolve, reject) => {
        autocannon(
          {
            url: `${base}/api/commands:batch`,
            connections: 4,
            duration: DURATION_S,
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
            requests: [
              {
                setupRequest: (req) => ({
                  ...req,
                  body: JSON.stringify({
                    commands: Array.from({ length: BATCH }, () => {
                      const i = n++;
                      return {
                        name: 'RecordReading',
                        data: { itemId: items[i % ITEMS], reader: readers[i % readers.length], placeId: 'room-1' },
                      };
                    }),
                  }),
                }),
              },
            ],
          },
          (err: Error | null, res) => (err ? reject(err) : resolve(res)),
        );
      });
    process.stderr.write(
      `  POST /api/commands:batch, ${BATCH} readings each, 4 connections, ${DURATION_S} s × ${RUNS}…\n`,
    );
    const facts: number[] = [];
    const batchP99: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const res = await batchOnce();
      if (res.non2xx > 0 || res.errors > 0)
        throw new Error(`${res.non2xx} non-2xx batch answers, ${res.errors} errors`);
      facts.push((res.requests.total * BATCH) / DURATION_S);
      batchP99.push(res.latency.p99);
    }
    const ceiling: number[] = [];
    await withFreshStore(dir, async (store) => {
      for (let r = 0; r < RUNS; r++) ceiling.push(await appendRate(store, 64));
    });
    return [
      {
        name: `HTTP RecordReading, ${CONNECTIONS} connections: commands/s`,
        value: median(rates),
        unit: '/s',
        runs: rates,
      },
      {
        name: `HTTP RecordReading, ${CONNECTIONS} connections: p99 latency`,
        value: median(p99s),
        unit: 'ms',
        runs: p99s,
      },
      {
        name: `HTTP commands:batch (${BATCH} readings), 4 connections: facts/s`,
        value: median(facts),
        unit: '/s',
        runs: facts,
      },
      { name: 'HTTP commands:batch, p99 latency per batch', value: median(batchP99), unit: 'ms', runs: batchP99 },
      {
        name: 'ceiling, same run: store durable appends/s, 64 writers',
        value: median(ceiling),
        unit: '/s',
        runs: ceiling,
      },
    ];
  } finally {
    proc.kill('SIGINT');
    await new Promise((r) => proc.once('exit', r));
  }
}
