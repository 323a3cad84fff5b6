/**
 * Speed at the size offices reach (`npm run bench -- scale`, issue 16): the real service (as `npm start` runs it) on
 * the 1,000,000-event data set of bench/scale-data.ts (`BENCH_SCALE=100k` for the smaller one), built once through
 * the command path and reused. A run works on a copy of it, so the data set itself is never written to.
 *
 * Measured, each beside its peer or ceiling from the same run:
 * - cold start to `/health/ready` (spawn to the first 200), beside the same start on an empty data directory;
 * - single requests, one at a time: an item, a page of open violations (walking the cursor), the history of an
 *   ordinary item, pages of the much-read item's history, a page of incidents, a page of readers — beside
 *   `GET /health`;
 * - mixed dashboard reads (item, readers, open violations, incidents) at 32 connections with autocannon, beside
 *   `GET /health` at the same load; the service's RSS sampled throughout (the peak) and its CPU per request;
 * - disk per event (store and read models).
 *
 * BENCH_SCALE_SECONDS sets the length of each autocannon run (default 10). BENCH_SCALE_PARTS (comma-separated, default
 * all) runs some parts only: `start` (cold starts), `single` (single requests), `mixed` (the mixed load), `kinds`
 * (each kind of the mix alone: its CPU and bytes per answer), `ceiling` (`/health` under the same load), `page` (the
 * dashboard page's refresh as a load), `disk`, and `rss` (not by default: the A/B of the heap growth, below).
 * `rss` runs the mixed load on fresh services started alternately with the default HEAP_GROWTH_PERCENT and with
 * V8's own heap growing (HEAP_GROWTH_PERCENT=0), BENCH_SCALE_RSS_RUNS times each (default 2): RSS peak, p99, rate
 * and CPU per answer of each side, medians, beside each other.
 * BENCH_SCALE_PROFILE=DIR starts the measured service with `--cpu-prof --cpu-prof-dir=DIR` (a profile is written at
 * its exit: read it for where an answer's CPU goes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import autocannon from 'autocannon';
import { type BenchResult, freePort, median, prng } from './bench-kit';
import { SCALE_KEY, scaleDataSet, type ScaleDataSet } from './scale-data';

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'apps', 'ledger-api', 'src', 'main.js');
const REGISTER = path.join(ROOT, 'scripts', 'register-paths.js');
const CONNECTIONS = 32;
const SECONDS = Number(process.env.BENCH_SCALE_SECONDS ?? 10);
const STARTS = 3;
const PARTS = new Set(
  (process.env.BENCH_SCALE_PARTS ?? 'start,single,mixed,kinds,ceiling,page,disk').split(',').map((p) => p.trim()),
);
const PROFILE = process.env.BENCH_SCALE_PROFILE;
const RSS_RUNS = Number(process.env.BENCH_SCALE_RSS_RUNS ?? 2);
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Resident set size of a process in MiB (Linux /proc). */
export const rssMiB = (pid: number): number => {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
};

/** User + system CPU time of a process in ms (Linux /proc, clock ticks of 10 ms). */
const cpuMsOf = (pid: number): number => {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
};

export interface Service {
  base: string;
  proc: ChildProcess;
  /** Milliseconds from spawn to the first 200 of /health/ready. */
  readyMs: number;
  /** CPU milliseconds the service process used until then (on a shared machine, what the start itself cost). */
  cpuMs: number;
  stop(): Promise<void>;
}

/**
 * Spawns the service on `dataDir` and waits for /health/ready (polled every 10 ms). `nodeArgs` go before the script
 * (e.g. `--cpu-prof`, which NODE_OPTIONS refuses).
 */
export const startService = async (
  dataDir: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<Service> => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = process.hrtime.bigint();
  const proc = spawn(process.execPath, [...nodeArgs, '-r', REGISTER, MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      LEDGER_API_KEYS: JSON.stringify({ [SCALE_KEY]: { personId: 'p-registrar', name: 'bench', roles: ['admin'] } }),
      RATE_LIMIT_PER_MINUTE: '100000000',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async () => {
    if (!exited) proc.kill('SIGTERM');
    await exit;
  };
  try {
    for (;;) {
      if (exited) throw new Error('the service exited before it was ready');
      if (Number(process.hrtime.bigint() - started) / 1e6 > 15 * 60_000) throw new Error('not ready in 15 minutes');
      const ok = await fetch(`${base}/health/ready`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 10));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { base, proc, readyMs, cpuMs: cpuMsOf(proc.pid as number), stop };
};

const get = async (base: string, p: string): Promise<{ ms: number; body: Record<string, unknown> }> => {
  const t = process.hrtime.bigint();
  const r = await fetch(base + p, { headers: { authorization: `Bearer ${SCALE_KEY}` } });
  const text = await r.text();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 200) throw new Error(`GET ${p}: ${r.status} ${text.slice(0, 300)}`);
  return { ms, body: JSON.parse(text) as Record<string, unknown> };
};

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};

/** Times `n` requests one after the other (after 3 unmeasured), the paths from `next`. */
const sequential = async (base: string, n: number, next: (i: number) => string): Promise<number[]> => {
  for (let i = 0; i < 3; i++) await get(base, next(i));
  const ms: number[] = [];
  for (let i = 0; i < n; i++) ms.push((await get(base, next(i))).ms);
  return ms;
};

/** Walks a cursor-paged list: the time of each page, up to `pages` (after an unmeasured walk of the first 3). */
const walk = async (base: string, first: string, pages: number, warm = true): Promise<number[]> => {
  if (warm) await walk(base, first, 3, false);
  const ms: number[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < pages; i++) {
    const sep = first.includes('?') ? '&' : '?';
    const r = await get(base, cursor ? `${first}${sep}cursor=${encodeURIComponent(cursor)}` : first);
    ms.push(r.ms);
    cursor = (r.body.nextCursor as string | null | undefined) ?? null;
    if (!cursor) break;
  }
  return ms;
};

/** autocannon at 32 connections for SECONDS over `paths()` (a new path per request), RSS sampled every 200 ms. */
const load = async (base: string, pid: number, paths: () => string, seconds = SECONDS) => {
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(rssMiB(pid)), 200);
  const cpuBefore = cpuMsOf(pid);
  try {
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      autocannon(
        {
          url: base,
          connections: CONNECTIONS,
          duration: seconds,
          headers: { authorization: `Bearer ${SCALE_KEY}` },
          requests: [
            {
              setupRequest: (req) => {
                req.path = paths();
                return req;
              },
            },
          ],
        },
        (err, res) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res)),
      );
    });
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
    return {
      rps: result.requests.average,
      p99: result.latency.p99,
      p50: result.latency.p50,
      rssPeak: Math.max(...rss),
      // The service's own CPU per answer: on a machine shared with other work, the figure the load does not distort.
      cpuUsPerRequest: ((cpuMsOf(pid) - cpuBefore) * 1000) / result.requests.total,
      // Headers and body, as autocannon counted them off the socket.
      bytesPerAnswer: result.throughput.total / result.requests.total,
    };
  } finally {
    clearInterval(sampler);
  }
};

/** The kinds of request of the mixed dashboard load (the `mixed`, `kinds` and `rss` parts), items drawn by `anyItem`. */
const dashboardKinds = (anyItem: () => string): [string, () => string][] => [
  ['an item', () => `/api/items/${anyItem()}`],
  ['a page of readers', () => `/api/items/${anyItem()}/readers`],
  ['50 open violations', () => '/api/violations?status=open&limit=50'],
  ['50 open incidents', () => '/api/incidents?open=true&limit=50'],
];

/** The requests the dashboard page makes on each refresh (loadViolations, loadIncidents in dashboard.html). */
/** A director of the data set (rank by i % 6, bench/scale-data.ts): may read nearly every SECRET item. */
const DIRECTOR = 'p-4';

const DASHBOARD_REFRESH = [
  '/api/violations?status=open&limit=1&severity=critical',
  '/api/violations?status=open&limit=1&severity=high',
  '/api/violations?status=open&limit=1&severity=medium',
  '/api/violations?status=open&limit=15&order=desc',
  '/api/incidents?open=true',
];

const fileBytes = (dir: string, name: string): number =>
  ['', '-wal'].reduce(
    (sum, s) => sum + (fs.existsSync(path.join(dir, name + s)) ? fs.statSync(path.join(dir, name + s)).size : 0),
    0,
  );

export async function runScaleBench(dir: string): Promise<BenchResult[]> {
  const sizeName = (process.env.BENCH_SCALE ?? '1m').toLowerCase();
  const set: ScaleDataSet = await scaleDataSet(sizeName, log);
  const label = set.shape.label;
  const work = path.join(dir, `scale-${sizeName}`);
  log(`  copying the data set to ${work}…`);
  // Timestamps kept: the copy is the data set byte for byte, closed cleanly, so its start need not check every page.
  fs.cpSync(set.dir, work, { recursive: true, preserveTimestamps: true });
  const results: BenchResult[] = [];
  const add = (name: string, runs: number[], unit: string) =>
    results.push({ name: `${label}: ${name}`, value: median(runs), unit, runs });
  // Many requests: the median, with p50, p90, p99 and the slowest as the "runs" printed beside it.
  const addLatency = (name: string, ms: number[]) =>
    results.push({
      name: `${label}: ${name} (${ms.length} requests; p50, p90, p99, max)`,
      value: median(ms),
      unit: 'ms',
      runs: [pct(ms, 50), pct(ms, 90), pct(ms, 99), Math.max(...ms)],
    });
  try {
    // The copy has a new modification time (so the first start checks the whole read-model file), and the read
    // models may be of an older schema than this build (then that start rebuilds them): an unmeasured first start.
    log('  first start on the copy (unmeasured: checks and catches up)…');
    const first = await startService(work);
    log(`  ready after ${(first.readyMs / 1000).toFixed(1)} s`);
    await first.stop();

    if (PARTS.has('start')) {
      const cold: number[] = [];
      const coldCpu: number[] = [];
      const coldRss: number[] = [];
      for (let i = 0; i < STARTS; i++) {
        const s = await startService(work);
        cold.push(s.readyMs);
        coldCpu.push(s.cpuMs);
        coldRss.push(rssMiB(s.proc.pid as number));
        await s.stop();
      }
      const empty: number[] = [];
      const emptyCpu: number[] = [];
      for (let i = 0; i < STARTS; i++) {
        const emptyDir = path.join(dir, `empty-${i}`);
        const s = await startService(emptyDir);
        empty.push(s.readyMs);
        emptyCpu.push(s.cpuMs);
        await s.stop();
        fs.rmSync(emptyDir, { recursive: true, force: true });
      }
      add(`cold start to /health/ready (${set.events.toLocaleString('en-US')} events)`, cold, 'ms');
      add('peer, same run: cold start on an empty data directory', empty, 'ms');
      add('CPU time of the service to ready', coldCpu, 'ms');
      add('peer, same run: the same on an empty data directory', emptyCpu, 'ms');
      add('RSS right after start', coldRss, 'MiB');
    }

    const svc = ['single', 'mixed', 'kinds', 'ceiling', 'page'].some((p) => PARTS.has(p))
      ? await startService(work, {}, PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [])
      : null;
    try {
      const random = prng(16);
      const items = set.shape.items;
      const persons = set.shape.persons;
      const anyItem = () => `doc-${Math.floor(random() * items)}`;
      // Persons of the data set: p-0 … p-<persons - 1>, a third of them directors or executives (bench/scale-data.ts).
      const anyPerson = () => `p-${Math.floor(random() * persons)}`;
      if (svc && PARTS.has('single')) {
        addLatency('GET /api/items/{id}', await sequential(svc.base, 200, () => `/api/items/${anyItem()}`));
        addLatency(
          'a page of open violations (100, walking the cursor)',
          await walk(svc.base, '/api/violations?status=open&limit=100', 100),
        );
        addLatency(
          'history of an ordinary item',
          await sequential(svc.base, 50, () => `/api/items/${anyItem()}/history`),
        );
        addLatency(
          `a page of the history of the item with ${set.shape.hotReadings.toLocaleString('en-US')} readings (100)`,
          await walk(svc.base, `/api/items/${set.hotItem}/history?limit=100`, 40),
        );
        addLatency(
          'a page of incidents (100, walking the cursor)',
          await walk(svc.base, '/api/incidents?limit=100', 100),
        );
        addLatency('a page of open incidents (100)', await walk(svc.base, '/api/incidents?open=true&limit=100', 30));
        addLatency(
          'a page of readers (100) of an item',
          await sequential(svc.base, 100, () => `/api/items/${anyItem()}/readers`),
        );
        addLatency(
          "a page (100) of a person's access",
          await sequential(svc.base, 100, () => `/api/persons/${anyPerson()}/access`),
        );
        addLatency(
          "a page (100) of a director's access, walking the cursor",
          await walk(svc.base, `/api/persons/${DIRECTOR}/access?limit=100`, 50),
        );
        addLatency('peer, same run: GET /health', await sequential(svc.base, 200, () => '/health'));
      }

      const kinds = dashboardKinds(anyItem);
      if (svc && ['mixed', 'kinds', 'page'].some((p) => PARTS.has(p))) {
        // Unmeasured: the first seconds of a fresh process (JIT, first pages read) belong to no kind in particular.
        let w = 0;
        await load(svc.base, svc.proc.pid as number, () => kinds[w++ % kinds.length][1](), 3);
      }
      if (svc && PARTS.has('mixed')) {
        let k = 0;
        const mixed = await load(svc.base, svc.proc.pid as number, () => kinds[k++ % kinds.length][1]());
        add(`mixed dashboard reads at ${CONNECTIONS} connections: p99`, [mixed.p99], 'ms');
        add('the same: requests/s', [mixed.rps], 'req/s');
        add('RSS, peak under that load', [mixed.rssPeak], 'MiB');
        add('the same: CPU of the service per request', [mixed.cpuUsPerRequest], 'µs');
        add('the same: bytes per answer', [mixed.bytesPerAnswer], 'B');
      }
      if (svc && PARTS.has('kinds'))
        for (const [name, next] of kinds) {
          const alone = await load(svc.base, svc.proc.pid as number, next);
          add(
            `${name} alone at ${CONNECTIONS} connections: CPU of the service per request`,
            [alone.cpuUsPerRequest],
            'µs',
          );
          add('the same: bytes per answer', [alone.bytesPerAnswer], 'B');
          add('the same: RSS, peak', [alone.rssPeak], 'MiB');
        }
      if (svc && PARTS.has('ceiling')) {
        const ceiling = await load(svc.base, svc.proc.pid as number, () => '/health');
        add(`ceiling, same run: GET /health at ${CONNECTIONS} connections: p99`, [ceiling.p99], 'ms');
        add('the same: requests/s', [ceiling.rps], 'req/s');
        add('the same: CPU of the service per request', [ceiling.cpuUsPerRequest], 'µs');
      }
      if (svc && PARTS.has('page')) {
        // What the dashboard page itself asks on each refresh (apps/ledger-api/src/dashboard/dashboard.html,
        // loadViolations and loadIncidents), one request after the other across the connections.
        let d = 0;
        const page = await load(
          svc.base,
          svc.proc.pid as number,
          () => DASHBOARD_REFRESH[d++ % DASHBOARD_REFRESH.length],
        );
        add(`the dashboard page's refresh requests at ${CONNECTIONS} connections: p99`, [page.p99], 'ms');
        add('the same: requests/s', [page.rps], 'req/s');
        add('the same: CPU of the service per request', [page.cpuUsPerRequest], 'µs');
        add('the same: bytes per answer', [page.bytesPerAnswer], 'B');
      }
    } finally {
      await svc?.stop();
    }
    if (PARTS.has('rss')) {
      // Fresh services, alternately (the machine's load drifts; alternation spreads it over both sides).
      const sides: [string, Record<string, string>][] = [
        ['the default heap growth (HEAP_GROWTH_PERCENT unset)', {}],
        ["V8's own heap growing (HEAP_GROWTH_PERCENT=0)", { HEAP_GROWTH_PERCENT: '0' }],
      ];
      const seen = sides.map(() => ({
        rss: [] as number[],
        p99: [] as number[],
        rps: [] as number[],
        cpu: [] as number[],
      }));
      for (let run = 0; run < RSS_RUNS; run++)
        for (const [i, [, env]] of sides.entries()) {
          const s = await startService(work, env);
          try {
            const random = prng(16 + run);
            const anyItem = () => `doc-${Math.floor(random() * set.shape.items)}`;
            const kinds = dashboardKinds(anyItem);
            let k = 0;
            const next = () => kinds[k++ % kinds.length][1]();
            await load(s.base, s.proc.pid as number, next, 3);
            const m = await load(s.base, s.proc.pid as number, next);
            seen[i].rss.push(m.rssPeak);
            seen[i].p99.push(m.p99);
            seen[i].rps.push(m.rps);
            seen[i].cpu.push(m.cpuUsPerRequest);
          } finally {
            await s.stop();
          }
        }
      for (const [i, [name]] of sides.entries()) {
        add(`mixed dashboard reads, ${name}: RSS peak`, seen[i].rss, 'MiB');
        add('the same: p99', seen[i].p99, 'ms');
        add('the same: requests/s', seen[i].rps, 'req/s');
        add('the same: CPU of the service per request', seen[i].cpu, 'µs');
      }
    }
    if (!PARTS.has('disk')) return results;
    const store = fileBytes(work, 'ledger.sqlite');
    const readModels = fileBytes(work, 'read-models.sqlite');
    add('disk per event: store', [store / set.events], 'B');
    add('disk per event: read models', [readModels / set.events], 'B');
    add('disk per event in all', [(store + readModels) / set.events], 'B');
    if (set.buildSeconds > 0)
      add('data set built through the command path (when built)', [set.events / set.buildSeconds], 'events/s');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return results;
}
