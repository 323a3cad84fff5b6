/**
 * Soak test (issue 7.6): a steady command rate against the real service in a child process, with a live reader
 * connected (the SSE feed when /api/feed exists) and a dashboard poller of /api/violations and /api/incidents. Samples the
 * child's RSS, reports latency percentiles, and fails when memory grows beyond a stated bound or a command fails.
 *
 *   node -r ./test/support/ts-register.js scripts/soak.ts --minutes 10 [--rate 20] [--bound-mib 64] [--mix fixed] [--json FILE]
 *     [--scale 1m|100k] [--dashboard N]
 *
 * `--scale` runs on a copy of the scale bench's data set (bench/scale-data.ts, built once and reused) instead of an
 * empty ledger; `--dashboard N` adds N dashboard readers (an item, its readers, open violations, open incidents, one
 * request after the other, 100 ms apart each). Every minute it logs that minute's p99s and the RSS, and the JSON
 * result carries the same timeline.
 *
 * Commands come from 16 "lanes" (clerks): within a lane each command waits for the previous answer (so an item's
 * commands arrive in order), while a fixed tick schedule keeps the global rate (open loop); a tick that finds every
 * lane busy is counted as missed.
 *
 * It passes when: no command fails, at most 1 % of the ticks are missed, the ledger verifies at the end, the feed
 * delivered events (when there is a feed), and the RSS at the end (median of the last three 5-s samples) exceeds
 * the RSS after the warm-up (median of the three samples around the end of the first 20 % of the run, at least 30 s)
 * by at most --bound-mib.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scaleDataSet } from '../bench/scale-data';
import {
  client,
  percentile,
  rssMiB,
  sleep,
  startService,
  tempDir,
  waitIdle,
  type Client,
} from '../test/reliability/support';

export interface SoakOptions {
  seconds: number;
  /** Commands per second, sent on a fixed schedule whatever the latency (open loop). */
  rate: number;
  boundMiB: number;
  /** `lifecycle` (default): every item walks its whole life, new streams all the time; `fixed`: readings of 64 items. */
  mix?: 'lifecycle' | 'fixed';
  /** Start on a copy of the scale data set of this size ('1m', '100k') rather than on an empty ledger. */
  scale?: string;
  /** Dashboard readers besides the poller (default 0). */
  dashboard?: number;
  log?: (line: string) => void;
}

/** One minute of the run: that minute's p99s (not the cumulative ones) and the RSS at its end. */
export interface SoakMinute {
  t: number;
  commands: number;
  commandP99: number;
  queries: number;
  queryP99: number;
  rssMiB: number;
}

export interface SoakResult {
  seconds: number;
  rate: number;
  commands: number;
  /** Ticks skipped because every lane was still waiting for an answer. */
  missedTicks: number;
  ok: number;
  failed: number;
  failures: string[];
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  queries: number;
  queryLatencyMs: { p50: number; p95: number; p99: number };
  reader: 'sse-feed' | 'poller';
  feedEvents: number;
  rss: {
    startMiB: number;
    warmMiB: number;
    endMiB: number;
    maxMiB: number;
    growthMiB: number;
    boundMiB: number;
    samples: number;
  };
  events: number;
  /** Events in the ledger before the run (the scale data set's, or 0). */
  eventsBefore: number;
  timeline: SoakMinute[];
  verified: boolean;
  passed: boolean;
}

const KEY = 'k-soak-admin-key-0001';
/** Concurrent clerks; at 20 commands/s each has 800 ms per command before a tick is missed. */
const LANES = 16;
const KEYS = { [KEY]: { personId: 'p-reg', roles: ['admin'] } };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

/** An endless, valid mix of commands: receipts, readings (one out of scope: violation + incident), copies, dispatches, receipts. */
function* commandMix(
  lane: number,
  mix: 'lifecycle' | 'fixed',
): Generator<{ name: string; data: Record<string, unknown> }> {
  if (mix === 'fixed') {
    // A fixed set of streams (4 items per lane), read over and over: no new streams, only longer ones.
    for (let n = 0; n < 4; n++) {
      yield {
        name: 'RegisterReceivedItem',
        data: {
          itemId: `soak-${lane}-${n}`,
          title: `soak report ${lane}-${n}`,
          level: 'SECRET',
          periodYears: 10,
          basis: 'catalogue 2.1',
          carrier: 'paper',
          sender: 'bureau',
          receivedBy: 'p-a',
          scope: { persons: ['p-b'] },
        },
      };
    }
    for (let n = 0; ; n++)
      yield { name: 'RecordReading', data: { itemId: `soak-${lane}-${n % 4}`, reader: 'p-b', placeId: 'room-1' } };
  }
  for (let n = 0; ; n++) {
    const itemId = `soak-${lane}-${n}`;
    yield {
      name: 'RegisterReceivedItem',
      data: {
        itemId,
        title: `soak report ${n}`,
        level: 'SECRET',
        periodYears: 10,
        basis: 'catalogue 2.1',
        carrier: 'paper',
        sender: 'bureau',
        receivedBy: 'p-a',
        scope: { persons: ['p-b'] },
        copyAllowed: true,
      },
    };
    yield { name: 'RecordReading', data: { itemId, reader: 'p-b', placeId: 'room-1' } };
    yield { name: 'RecordReading', data: { itemId, reader: n % 5 === 0 ? 'p-out' : 'p-b', placeId: 'room-1' } };
    yield { name: 'RequestCopy', data: { itemId, requestId: 'r1', copies: 1 } };
    yield { name: 'ApproveCopy', data: { itemId, requestId: 'r1' } };
    yield { name: 'RecordCopy', data: { itemId, copyItemId: `${itemId}-c1`, requestId: 'r1' } };
    yield { name: 'DispatchItem', data: { itemId, to: 'p-b', channel: 'confidential-post', couriers: [] } };
    yield { name: 'AcknowledgeReceipt', data: { itemId, by: 'p-b' } };
  }
}

/** Reads the SSE feed until aborted; returns false at once when the service has no feed. */
const connectFeed = async (base: string, signal: AbortSignal, onEvent: () => void): Promise<boolean> => {
  let res: Response;
  try {
    res = await fetch(`${base}/api/feed`, {
      headers: { authorization: `Bearer ${KEY}`, accept: 'text/event-stream' },
      signal,
    });
  } catch {
    return false;
  }
  if (res.status !== 200 || !(res.headers.get('content-type') ?? '').includes('text/event-stream') || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    return false;
  }
  void (async () => {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          if (/^data:/m.test(frame)) onEvent();
        }
      }
    } catch {
      /* aborted at the end */
    }
  })();
  return true;
};

export const runSoak = async (options: SoakOptions): Promise<SoakResult> => {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dir = tempDir('soak');
  let eventsBefore = 0;
  let items = 0;
  if (options.scale) {
    const set = await scaleDataSet(options.scale, log);
    // Timestamps kept: the copy is the data set byte for byte, closed cleanly (no whole-file check at its start).
    fs.cpSync(set.dir, dir, { recursive: true, preserveTimestamps: true });
    eventsBefore = set.events;
    items = set.shape.items;
  }
  const service = await startService({
    dataDir: dir,
    keys: KEYS,
    env: { SCHEDULER_INTERVAL_MS: '1000', LOG_LEVEL: 'warn' },
    timeoutMs: 15 * 60_000,
  });
  const api: Client = client(service.base, KEY);
  const abort = new AbortController();
  try {
    const setup: [string, Record<string, unknown>][] = [
      [
        'RegisterPerson',
        { personId: 'p-reg', name: 'Registrar', rank: 'executive', clearance: 'TOP_SECRET', unit: 'hq' },
      ],
      ['RegisterPerson', { personId: 'p-a', name: 'A', rank: 'manager', clearance: 'SECRET', unit: 'office' }],
      ['RegisterPerson', { personId: 'p-b', name: 'B', rank: 'staff', clearance: 'SECRET', unit: 'office' }],
      ['RegisterPerson', { personId: 'p-out', name: 'Out', rank: 'staff', clearance: 'NONE', unit: 'motor-pool' }],
      ['RegisterPlace', { placeId: 'room-1', name: 'reading room', kind: 'reading-room' }],
    ];
    for (const [name, data] of setup) {
      const res = await api.post(name, { data });
      // On the scale data set the reading room is already there (its own `room-1`).
      const exists = options.scale !== undefined && res.status === 409 && /_EXISTS"/.test(res.text);
      if (res.status !== 200 && !exists) throw new Error(`setup ${name}: ${res.status} ${res.text}`);
    }

    let feedEvents = 0;
    const hasFeed = await connectFeed(service.base, abort.signal, () => feedEvents++);
    const queryLatencies: number[] = [];
    let queries = 0;
    // A dashboard poller as well (with or without a feed): queries run against the same read models the writes feed.
    const poller = (async () => {
      while (!abort.signal.aborted) {
        for (const p of ['/api/violations?status=open&limit=50', '/api/incidents?open=true']) {
          const r = await api.get(p).catch(() => undefined);
          if (r) {
            queries++;
            queryLatencies.push(r.ms);
          }
        }
        await sleep(1000);
      }
    })();

    // Dashboard readers: what an office's screens ask, one request after the other each.
    const dashboardPaths = [
      () => `/api/items/doc-${Math.floor(Math.random() * Math.max(1, items))}`,
      () => `/api/items/doc-${Math.floor(Math.random() * Math.max(1, items))}/readers`,
      () => '/api/violations?status=open&limit=50',
      () => '/api/incidents?open=true&limit=50',
    ];
    const readers = Array.from({ length: options.dashboard ?? 0 }, async (_, r) => {
      for (let k = r; !abort.signal.aborted; k++) {
        const pick = items > 0 ? dashboardPaths[k % 4] : dashboardPaths[2 + (k % 2)];
        const res = await api.get(pick()).catch(() => undefined);
        if (res && res.status === 200) {
          queries++;
          queryLatencies.push(res.ms);
        }
        await sleep(100);
      }
    });

    const latencies: number[] = [];
    const failures: string[] = [];
    let ok = 0;
    let sent = 0;
    let missedTicks = 0;
    const rss: { t: number; mib: number }[] = [];
    const started = Date.now();
    const endAt = started + options.seconds * 1000;
    const sampler = setInterval(() => rss.push({ t: (Date.now() - started) / 1000, mib: rssMiB(service.pid) }), 5000);
    rss.push({ t: 0, mib: rssMiB(service.pid) });
    let lastReport = started;
    const timeline: SoakMinute[] = [];
    let minuteFrom = { commands: 0, queries: 0 };

    // Lanes: each lane walks its items one command after the other (a command about an item is sent only after the
    // previous one was answered, as a desk clerk would), while the ticks keep the global rate steady (open loop).
    // A tick that finds every lane busy is counted as missed: the service did not keep up with the rate.
    const lanes = Array.from({ length: LANES }, (_, lane) => ({
      mix: commandMix(lane, options.mix ?? 'lifecycle'),
      busy: false,
    }));
    const inflight = new Set<Promise<void>>();
    const interval = 1000 / options.rate;
    let next = 0;
    for (let i = 0; Date.now() < endAt; i++) {
      const due = started + i * interval;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      let lane: (typeof lanes)[number] | undefined;
      for (let k = 0; k < LANES && !lane; k++) {
        const candidate = lanes[(next + k) % LANES];
        if (!candidate.busy) lane = candidate;
      }
      next = (next + 1) % LANES;
      if (!lane) {
        missedTicks++;
        continue;
      }
      const cmd = lane.mix.next().value as { name: string; data: Record<string, unknown> };
      const owner = lane;
      owner.busy = true;
      sent++;
      const p = api
        .post(cmd.name, { data: cmd.data })
        .then((res) => {
          latencies.push(res.ms);
          if (res.status === 200) ok++;
          else failures.push(`${cmd.name}: ${res.status} ${res.text.slice(0, 200)}`);
        })
        .catch((e: Error) => {
          failures.push(`${cmd.name}: ${e.message}`);
        })
        .finally(() => {
          owner.busy = false;
          inflight.delete(p);
        });
      inflight.add(p);
      if (Date.now() - lastReport > 60_000) {
        lastReport = Date.now();
        const c = latencies.slice(minuteFrom.commands).sort((a, b) => a - b);
        const q = queryLatencies.slice(minuteFrom.queries).sort((a, b) => a - b);
        minuteFrom = { commands: latencies.length, queries: queryLatencies.length };
        const minute = {
          t: Math.round((Date.now() - started) / 1000),
          commands: c.length,
          commandP99: percentile(c, 99),
          queries: q.length,
          queryP99: percentile(q, 99),
          rssMiB: rssMiB(service.pid),
        };
        timeline.push(minute);
        log(
          `  t=${minute.t}s sent=${sent} ok=${ok} failed=${failures.length} missedTicks=${missedTicks} rss=${minute.rssMiB.toFixed(1)}MiB ` +
            `this minute: ${minute.commands} commands p99=${minute.commandP99.toFixed(1)}ms, ${minute.queries} queries p99=${minute.queryP99.toFixed(1)}ms`,
        );
      }
    }
    await Promise.all(inflight);
    clearInterval(sampler);
    rss.push({ t: (Date.now() - started) / 1000, mib: rssMiB(service.pid) });
    abort.abort();
    await poller;
    await Promise.all(readers);
    await waitIdle(api, 60_000);

    const verify = await api.get('/api/ledger/verify');
    const health = await api.get('/health');
    const sorted = [...latencies].sort((a, b) => a - b);
    const qs = [...queryLatencies].sort((a, b) => a - b);
    const warmT = Math.max(30, options.seconds * 0.2);
    const warmIdx = rss.findIndex((s) => s.t >= warmT);
    const warmSamples = rss
      .slice(Math.max(0, (warmIdx < 0 ? rss.length - 1 : warmIdx) - 1), (warmIdx < 0 ? rss.length : warmIdx) + 2)
      .map((s) => s.mib);
    const warmMiB = median(warmSamples);
    const endMiB = median(rss.slice(-3).map((s) => s.mib));
    const growthMiB = endMiB - warmMiB;
    const failed = failures.length;
    const result: SoakResult = {
      seconds: options.seconds,
      rate: options.rate,
      commands: sent,
      missedTicks,
      ok,
      failed,
      failures: failures.slice(0, 20),
      latencyMs: {
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
        p99: percentile(sorted, 99),
        max: sorted[sorted.length - 1] ?? NaN,
      },
      queries,
      queryLatencyMs: { p50: percentile(qs, 50), p95: percentile(qs, 95), p99: percentile(qs, 99) },
      reader: hasFeed ? 'sse-feed' : 'poller',
      feedEvents,
      rss: {
        startMiB: rss[0].mib,
        warmMiB,
        endMiB,
        maxMiB: Math.max(...rss.map((s) => s.mib)),
        growthMiB,
        boundMiB: options.boundMiB,
        samples: rss.length,
      },
      events: Number((health.body as { head?: number } | null)?.head ?? 0),
      eventsBefore,
      timeline,
      verified: verify.status === 200 && (verify.body as { ok?: unknown } | null)?.ok === true,
      passed: false,
    };
    result.passed =
      failed === 0 &&
      missedTicks <= sent * 0.01 &&
      result.verified &&
      growthMiB <= options.boundMiB &&
      (!hasFeed || feedEvents > 0);
    return result;
  } finally {
    abort.abort();
    await service.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
};

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

if (require.main === module) {
  const minutes = arg('minutes', 10);
  const mixAt = process.argv.indexOf('--mix');
  const mix = mixAt >= 0 && process.argv[mixAt + 1] === 'fixed' ? 'fixed' : 'lifecycle';
  const options = {
    seconds: Math.round(minutes * 60),
    rate: arg('rate', 20),
    boundMiB: arg('bound-mib', 64),
    mix,
    scale: (() => {
      const i = process.argv.indexOf('--scale');
      return i >= 0 ? process.argv[i + 1] : undefined;
    })(),
    dashboard: arg('dashboard', 0),
  } as const;
  const jsonAt = process.argv.indexOf('--json');
  process.stdout.write(
    `soak: ${minutes} min at ${options.rate} commands/s (${mix} mix), ${options.dashboard} dashboard readers, ` +
      `${options.scale ? `on the ${options.scale} data set` : 'on an empty ledger'}, RSS growth bound ${options.boundMiB} MiB\n`,
  );
  runSoak(options)
    .then((r) => {
      const line =
        `[soak] seconds=${r.seconds} rate=${r.rate}/s commands=${r.commands} missedTicks=${r.missedTicks} ok=${r.ok} failed=${r.failed} ` +
        `latency p50=${r.latencyMs.p50.toFixed(1)}ms p95=${r.latencyMs.p95.toFixed(1)}ms p99=${r.latencyMs.p99.toFixed(1)}ms max=${r.latencyMs.max.toFixed(1)}ms ` +
        `reader=${r.reader} queries=${r.queries} feedEvents=${r.feedEvents} query p50=${r.queryLatencyMs.p50.toFixed(1)}ms p99=${r.queryLatencyMs.p99.toFixed(1)}ms ` +
        `rss start=${r.rss.startMiB.toFixed(1)} warm=${r.rss.warmMiB.toFixed(1)} end=${r.rss.endMiB.toFixed(1)} max=${r.rss.maxMiB.toFixed(1)} ` +
        `growth=${r.rss.growthMiB.toFixed(1)}MiB (bound ${r.rss.boundMiB}) events=${r.events} verified=${r.verified} => ${r.passed ? 'PASS' : 'FAIL'}`;
      process.stdout.write(`${line}\n`);
      if (r.failures.length) process.stdout.write(`failures:\n  ${r.failures.join('\n  ')}\n`);
      if (jsonAt >= 0) fs.writeFileSync(path.resolve(process.argv[jsonAt + 1]), JSON.stringify(r, null, 2));
      process.exit(r.passed ? 0 : 1);
    })
    .catch((e: Error) => {
      process.stderr.write(`${e.stack ?? e.message}\n`);
      process.exit(2);
    });
}
