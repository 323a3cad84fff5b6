/**
 * Embedded store benchmark: durable append throughput (one writer, 64 concurrent writers) and stream read speed.
 * Every append is durable (`synchronous=FULL`: COMMIT waits for fsync), so the single-writer figure is bounded by
 * the disk's fsync latency and the concurrent figure shows what group commit recovers from it.
 *
 * Used by bench/run.ts; runnable alone: node -r ./test/support/ts-register.js bench/store.bench.ts [DIR]
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NewEvent, SqliteEventStore } from '@app/ledger';
import { median } from './bench-kit';

/** One measured figure: the median of `runs`. */
export interface StoreBenchMetric {
  name: string;
  value: number;
  unit: string;
  runs: number[];
}

const RUNS = 5;
/** Each append-throughput run appends for this long: long enough to average out fsync jitter, short enough for ~60 s total. */
const APPEND_RUN_MS = 1000;
const CONCURRENT_WRITERS = 64;
const READ_STREAM_EVENTS = 10_000;

/** A payload of the size a custody event has (ids, a title, an actor and the hash-chain metadata). */
const sampleEvent = (i: number): NewEvent => ({
  eventId: randomUUID(),
  type: 'ItemRead',
  data: { itemId: `doc-${i % 100}`, reader: `p-${i % 37}`, placeId: 'room-1', title: 'Annual plan (SECRET)' },
  metadata: {
    occurredAt: '2026-03-02T09:00:00.000Z',
    recordedAt: '2026-03-02T09:00:00.100Z',
    actor: 'p-registrar',
    commandId: randomUUID(),
    correlationId: randomUUID(),
    causationId: null,
    schemaVersion: 1,
    prevHash: '0'.repeat(64),
    hash: 'f'.repeat(64),
  },
});

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

const metric = (name: string, unit: string, runs: number[]): StoreBenchMetric => ({
  name,
  unit,
  value: round(median(runs)),
  runs: runs.map((r) => round(r)),
});

/** Opens a store on a new file under `dir`, runs `body`, then closes it and removes the file. */
export async function withFreshStore<T>(dir: string, body: (store: SqliteEventStore) => Promise<T>): Promise<T> {
  const file = path.join(dir, `store-bench-${randomUUID()}.db`);
  const store = SqliteEventStore.open(file, { synchronous: 'FULL' });
  try {
    return await body(store);
  } finally {
    await store.close();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  }
}

/** Appends/s achieved by `writers` concurrent loops, each awaiting one single-event append at a time. */
export async function appendRate(store: SqliteEventStore, writers: number): Promise<number> {
  let appends = 0;
  const start = process.hrtime.bigint();
  const deadline = Date.now() + APPEND_RUN_MS;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const streamId = `bench-${w}`;
      let revision = await store.streamRevision(streamId);
      while (Date.now() < deadline) {
        revision = (await store.append(streamId, [sampleEvent(appends)], revision)).nextExpectedRevision;
        appends += 1;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return appends / seconds;
}

/**
 * The peer, side by side in the same run: plain better-sqlite3 on the same schema and the same durability
 * (WAL, synchronous=FULL), one transaction per append, as a store without group commit would do it. The writers are
 * async loops as above; each append is its own COMMIT, so each pays its own fsync.
 */
async function peerAppendRate(dir: string, writers: number): Promise<number> {
  const file = path.join(dir, `peer-bench-${randomUUID()}.db`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, stream_id TEXT NOT NULL,
    revision INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE(stream_id, revision))`);
  const last = db.prepare('SELECT MAX(revision) AS r FROM events WHERE stream_id = ?');
  const insert = db.prepare(
    'INSERT INTO events (event_id, stream_id, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const append = db.transaction((streamId: string, expected: number, e: NewEvent) => {
    const current = (last.get(streamId) as { r: number | null }).r ?? -1;
    if (current !== expected) throw new Error('conflict');
    insert.run(e.eventId, streamId, expected + 1, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata));
    return expected + 1;
  });
  let appends = 0;
  const start = process.hrtime.bigint();
  const deadline = Date.now() + APPEND_RUN_MS;
  try {
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        let revision = -1;
        while (Date.now() < deadline) {
          await new Promise<void>((resolve) => setImmediate(resolve)); // let the other writers in, as the store does
          revision = append(`bench-${w}`, revision, sampleEvent(appends));
          appends += 1;
        }
      }),
    );
  } finally {
    db.close();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  }
  return appends / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Runs the store benchmark on fresh files in `dir`; each metric is the median of 5 runs. Prints nothing. */
export async function runStoreBench(dir: string): Promise<StoreBenchMetric[]> {
  fs.mkdirSync(dir, { recursive: true });
  const single: number[] = [];
  const concurrent: number[] = [];
  const peer: number[] = [];
  // Interleaved runs, so a noisy moment on the machine hits the store and its peer alike.
  for (let run = 0; run < RUNS; run++) {
    single.push(await withFreshStore(dir, (store) => appendRate(store, 1)));
    concurrent.push(await withFreshStore(dir, (store) => appendRate(store, CONCURRENT_WRITERS)));
    peer.push(await peerAppendRate(dir, CONCURRENT_WRITERS));
  }

  const readMs: number[] = [];
  await withFreshStore(dir, async (store) => {
    const streamId = 'bench-long-stream';
    for (let revision = -1; revision < READ_STREAM_EVENTS - 1;) {
      const batch = Array.from({ length: 500 }, (_, i) => sampleEvent(revision + 1 + i));
      revision = (await store.append(streamId, batch, revision)).nextExpectedRevision;
    }
    for (let run = 0; run < RUNS; run++) {
      const start = process.hrtime.bigint();
      const events = await store.readStream(streamId);
      readMs.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (events.length !== READ_STREAM_EVENTS)
        throw new Error(`read ${events.length} events, expected ${READ_STREAM_EVENTS}`);
    }
  });

  return [
    metric('store.append.durable.1-writer', 'appends/s', single),
    metric(`store.append.durable.${CONCURRENT_WRITERS}-writers`, 'appends/s', concurrent),
    metric(`peer: better-sqlite3, a transaction per append, ${CONCURRENT_WRITERS} writers`, 'appends/s', peer),
    metric('store.read-stream.10k.time', 'ms', readMs),
    metric(
      'store.read-stream.10k.rate',
      'events/s',
      readMs.map((ms) => READ_STREAM_EVENTS / (ms / 1000)),
    ),
  ];
}

if (require.main === module) {
  const dir = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'store-bench-'));
  runStoreBench(dir)
    .then((metrics) => {
      for (const m of metrics)
        console.log(
          `${m.name.padEnd(36)} ${String(m.value).padStart(10)} ${m.unit.padEnd(10)} runs: ${m.runs.join(', ')}`,
        );
      if (!process.argv[2]) fs.rmSync(dir, { recursive: true, force: true });
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
