/**
 * Proof-serving benchmarks over a real store file and read model with 100,000 events: the merkle-leaves projection,
 * inclusion and consistency proofs (generation from the read model's log, RFC 9162 verification), checkpoint
 * signing end to end (catch-up, Ed25519, sealed append, projection), and the full `verify` (chains + tree +
 * checkpoint signatures + consistency) in events/s. Median of 5 runs each. Part of `npm run bench -- ledger-proofs`;
 * alone, without a build: `node -r ./test/support/ts-register.js bench/ledger-proofs.bench.ts`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hash } from 'node:crypto';
import {
  SystemClock,
  SqliteEventStore,
  canonicalize,
  type NewEvent,
  type StreamWrite,
  GENESIS_HASH,
  sealEvents,
  loadOrCreateSigningKey,
  signCheckpoint,
  verifyConsistency,
  verifyInclusion,
  verifyEvents,
  verifySqliteLog,
  readAllEvents,
  MerkleLog,
  defaultSha256Batch,
  type VerifyResult,
} from '@app/ledger';
import { ReadModels, openReadModelDb, merkleLeavesProjection, MerkleIndex } from '@app/read-models';
import { CheckpointService, verifyLedgerIntegrity } from '@app/application';
import { type BenchResult, median, seconds, prng, syntheticReading } from './bench-kit';

const RUNS = 5;
const EVENTS = 100_000;
const STREAMS = 1_000;
const PER_APPEND = 500; // events per appendMany while loading (one SQLite transaction)
const PROOFS = 10_000;
const CONSISTENCY = 2_000;
const SIGNINGS = 20;

const newEvent = (i: number): NewEvent => syntheticReading(i, STREAMS);

/** Loads EVENTS sealed events over STREAMS streams, as the ledger would have appended them. */
const load = async (store: SqliteEventStore, events = EVENTS): Promise<void> => {
  const heads = new Map<string, { revision: number; hash: string }>();
  for (let start = 0; start < events; start += PER_APPEND) {
    const byStream = new Map<string, NewEvent[]>();
    for (let i = start; i < Math.min(events, start + PER_APPEND); i++) {
      const s = `item-doc-${i % STREAMS}`;
      (byStream.get(s) ?? byStream.set(s, []).get(s)!).push(newEvent(i));
    }
    const writes: StreamWrite[] = [...byStream].map(([streamId, events]) => {
      const head = heads.get(streamId) ?? { revision: -1, hash: GENESIS_HASH };
      const sealed = sealEvents(streamId, head.revision, head.hash, events);
      heads.set(streamId, {
        revision: head.revision + sealed.length,
        hash: String(sealed[sealed.length - 1].metadata.hash),
      });
      return { streamId, expectedRevision: head.revision, events: sealed };
    });
    await store.appendMany(writes);
  }
};

export async function runProofBench(dir: string): Promise<BenchResult[]> {
  const work = fs.mkdtempSync(path.join(dir, 'proofs-'));
  const store = SqliteEventStore.open(path.join(work, 'ledger.sqlite'), { synchronous: 'NORMAL' });
  const results: BenchResult[] = [];
  const record = (name: string, unit: string, runs: number[]) =>
    results.push({ name, value: median(runs), unit, runs });
  try {
    process.stderr.write(`  loading ${EVENTS} events…\n`);
    await load(store);
    // Only the merkle projection: the custody projections would fold the synthetic events for nothing.
    const readModels = new ReadModels(store, openReadModelDb(path.join(work, 'read-models.sqlite')), [
      merkleLeavesProjection,
    ]);
    const projectionRuns: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t = process.hrtime.bigint();
      await readModels.runner.rebuild();
      projectionRuns.push(EVENTS / seconds(t));
    }
    record(`merkle-leaves projection (replay of ${EVENTS / 1000}k events)`, 'events/s', projectionRuns);
    const merkle = readModels.merkle;
    const size = merkle.size;
    let t = process.hrtime.bigint();
    const loadRuns: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      t = process.hrtime.bigint();
      // What a restart costs: the in-memory tree rebuilt from the committed rows.
      if (new MerkleIndex(readModels.db).size !== size) throw new Error('index size differs');
      loadRuns.push(seconds(t) * 1000);
    }
    record(`Merkle index load from SQLite at start (${size / 1000}k leaves)`, 'ms', loadRuns);

    const rnd = prng(7);
    const indices = Array.from({ length: PROOFS }, () => Math.floor(rnd() * size));
    const proofs = indices.map((i) => merkle.inclusionProof(i, size));
    const leafHashes = indices.map((i) => merkle.leafAt(i)!.leafHash);
    const root = merkle.root(size);
    const gen: number[] = [];
    const ver: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      t = process.hrtime.bigint();
      for (const i of indices) merkle.inclusionProof(i, size);
      gen.push((seconds(t) * 1e6) / PROOFS);
      t = process.hrtime.bigint();
      for (let k = 0; k < PROOFS; k++)
        if (!verifyInclusion(leafHashes[k], indices[k], size, proofs[k], root))
          throw new Error('inclusion proof did not verify');
      ver.push((seconds(t) * 1e6) / PROOFS);
    }
    record(`inclusion proof generation (${size / 1000}k leaves)`, 'µs', gen);
    record(`inclusion proof verification (${size / 1000}k leaves)`, 'µs', ver);

    const olds = Array.from({ length: CONSISTENCY }, () => 1 + Math.floor(rnd() * (size - 1)));
    const oldRoots = olds.map((m) => merkle.root(m));
    const cgen: number[] = [];
    const cver: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      t = process.hrtime.bigint();
      const cps = olds.map((m) => merkle.consistencyProof(m, size));
      cgen.push((seconds(t) * 1e6) / CONSISTENCY);
      t = process.hrtime.bigint();
      for (let k = 0; k < CONSISTENCY; k++)
        if (!verifyConsistency(olds[k], size, oldRoots[k], root, cps[k]))
          throw new Error('consistency proof did not verify');
      cver.push((seconds(t) * 1e6) / CONSISTENCY);
    }
    record(`consistency proof generation (to ${size / 1000}k leaves)`, 'µs', cgen);
    record(`consistency proof verification (to ${size / 1000}k leaves)`, 'µs', cver);

    const key = loadOrCreateSigningKey(work);
    const edRuns: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      t = process.hrtime.bigint();
      for (let k = 0; k < 1000; k++)
        signCheckpoint({ treeSize: size, rootHash: root, position: k, signedAt: '2026-03-02T09:00:00.000Z' }, key);
      edRuns.push((seconds(t) * 1e6) / 1000);
    }
    record('Ed25519 checkpoint signature alone', 'µs', edRuns);

    const checkpoints = new CheckpointService(store, readModels, new SystemClock(), key);
    readModels.start();
    const signRuns: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      t = process.hrtime.bigint();
      // force: each checkpoint event grows the tree, so every call signs (the timer would skip an idle ledger).
      for (let k = 0; k < SIGNINGS; k++)
        if (!(await checkpoints.signNow({ force: true })).created) throw new Error('no checkpoint signed');
      signRuns.push((seconds(t) * 1000) / SIGNINGS);
    }
    record('checkpoint signing end to end (catch-up, sign, sealed append, projected)', 'ms', signRuns);

    // The full verify on worker threads (the default for an SQLite store) beside the same walk on one thread, in
    // the same run: same store, same checkpoints, same answer.
    const verifyRuns: number[] = [];
    const singleRuns: number[] = [];
    let checked = 0;
    let verifiedRoot = '';
    for (let r = 0; r < RUNS; r++) {
      for (const workers of [undefined, 0]) {
        t = process.hrtime.bigint();
        const v = await verifyLedgerIntegrity(store, { publicKeyPem: key.publicKeyPem, merkle, workers });
        if (!v.ok) throw new Error(`verify failed: ${JSON.stringify(v.firstFailure)}`);
        if (verifiedRoot && v.rootHash !== verifiedRoot) throw new Error('the two walks disagree');
        verifiedRoot = v.rootHash;
        checked = v.eventsChecked;
        (workers === 0 ? singleRuns : verifyRuns).push(checked / seconds(t));
      }
    }
    record(
      `verify: chains + tree + ${RUNS * SIGNINGS} checkpoints (${Math.round(checked / 1000)}k events), ${os.availableParallelism()} worker threads`,
      'events/s',
      verifyRuns,
    );
    record(`the same walk on one thread (peer, same run)`, 'events/s', singleRuns);
    await readModels.close();
  } finally {
    await store.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
  return results;
}

/**
 * The chain walk of `verify` at scale (issue 16: ≥ 500,000 events/s on both cores): every stream's chain and the
 * Merkle tree of an SQLite store of BENCH_VERIFY_EVENTS sealed events (default 500,000; ItemRead-sized, 1,000
 * streams), walked by `verifySqliteLog` with two worker threads and with one (the main thread merging the leaves into
 * the tree, a full MerkleLog as `verify` keeps), beside the walk on one thread as it was before (every row parsed and
 * canonicalized: `workers: 0`) and the floor: bare SHA-256 of the same bytes on one thread (each event's hashed text,
 * its leaf, one interior node), the work no walk can skip. Events/s in wall clock, and CPU µs per event (all threads).
 * Median of 3. `npm run bench -- verify`.
 */
export async function runVerifyWalkBench(dir: string): Promise<BenchResult[]> {
  const events = Number(process.env.BENCH_VERIFY_EVENTS ?? 500_000);
  const work = fs.mkdtempSync(path.join(dir, 'verify-walk-'));
  const file = path.join(work, 'ledger.sqlite');
  const results: BenchResult[] = [];
  const record = (name: string, unit: string, runs: number[]) =>
    results.push({ name, value: median(runs), unit, runs });
  try {
    process.stderr.write(`  loading ${events} events…\n`);
    const store = SqliteEventStore.open(file, { synchronous: 'NORMAL' });
    await load(store, events);
    await store.close();
    const cpuSince = (since: NodeJS.CpuUsage) => {
      const u = process.cpuUsage(since);
      return (u.user + u.system) / 1e6;
    };
    const walks: [string, (() => Promise<VerifyResult>) | undefined][] = [
      ['2 worker threads', () => verifySqliteLog(file, { workers: 2, leaves: new MerkleLog() })],
      ['1 worker thread', () => verifySqliteLog(file, { workers: 1, leaves: new MerkleLog() })],
      ['one thread, every row parsed (before; peer)', undefined],
    ];
    const rate = walks.map(() => [] as number[]);
    const cpu = walks.map(() => [] as number[]);
    let root = '';
    for (let r = 0; r < 3; r++) {
      for (const [k, [, walk]] of walks.entries()) {
        const c = process.cpuUsage();
        const t = process.hrtime.bigint();
        let v: VerifyResult;
        if (walk) v = await walk();
        else {
          const s = SqliteEventStore.open(file);
          v = await verifyEvents(readAllEvents(s, 5_000));
          await s.close();
        }
        const wall = seconds(t);
        if (!v.ok || v.eventsChecked !== events) throw new Error(`verify failed: ${JSON.stringify(v.firstFailure)}`);
        if (root && v.rootHash !== root) throw new Error('the walks disagree');
        root = v.rootHash;
        rate[k].push(events / wall);
        cpu[k].push((cpuSince(c) / events) * 1e6);
      }
    }
    walks.forEach(([name], k) => {
      record(`verify walk, ${events / 1000}k events: ${name}`, 'events/s', rate[k]);
      record(`  the same, CPU time (all threads)`, 'µs/event', cpu[k]);
    });
    const floor = await bareHashingRate(file, Math.min(events, 100_000));
    record(`bare SHA-256 of the same bytes, one thread (floor; ×2 for two cores)`, 'events/s', floor.oneShot);
    record(
      `  the same through the ${defaultSha256Batch.name} batch hasher, a page a call (floor)`,
      'events/s',
      floor.batched,
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return results;
}

/**
 * Events/s of hashing, on this thread, exactly the bytes a walk must hash per event: the stored text of its chain
 * hash (read out before the clock starts), its leaf (0x00 ‖ hash) and one interior node (0x01 ‖ two hashes; a tree
 * of n leaves has n - 1). Twice: a `crypto.hash` call per hash (`oneShot`), and through the batch hasher the walk
 * uses (`batched`: the texts of a page of 5,000 in one call, their leaves in one, the tree's levels over them a call
 * each), the bytes laid out before the clock starts.
 */
const bareHashingRate = async (file: string, sample: number): Promise<{ oneShot: number[]; batched: number[] }> => {
  // The hashed text of each event, as eventHash writes it (prevHash ‖ canonical JSON of the hashed members).
  const store = SqliteEventStore.open(file);
  const events = await store.readAll({ maxCount: sample });
  await store.close();
  const rows = events.map((e) => {
    const { hash: sealed, ...hashed } = e.metadata;
    return {
      text:
        e.metadata.prevHash +
        `{"data":${canonicalize(e.data)},"eventId":${canonicalize(e.eventId)},"metadata":${canonicalize(hashed)}` +
        `,"revision":${e.revision},"streamId":${canonicalize(e.streamId)},"type":${canonicalize(e.type)}}`,
      hash: sealed,
    };
  });
  const texts = rows.map((r) => Buffer.from(r.text, 'utf8'));
  // The sample must be the very bytes the chain hashes cover, or the floor is of something else.
  if (rows.some((r, i) => hash('sha256', texts[i], 'hex') !== r.hash)) throw new Error('the floor hashes other bytes');
  const leaf = Buffer.alloc(33);
  const node = Buffer.alloc(65, 1);
  const out = Buffer.alloc(32);
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = process.hrtime.bigint();
    for (const text of texts) {
      out.write(hash('sha256', text, 'binary'), 0, 32, 'latin1');
      out.copy(leaf, 1);
      out.write(hash('sha256', leaf, 'binary'), 0, 32, 'latin1');
      out.copy(node, 33);
      out.write(hash('sha256', node, 'binary'), 0, 32, 'latin1');
    }
    runs.push(texts.length / seconds(t));
  }
  const PAGE = 5_000;
  const hasher = defaultSha256Batch;
  const all = Buffer.concat(texts);
  const ranges = new Int32Array(2 * texts.length);
  for (let i = 0, at = 0; i < texts.length; i++) {
    ranges[2 * i] = at;
    at += texts[i].length;
    ranges[2 * i + 1] = at;
  }
  const leafInputs = Buffer.alloc(33 * PAGE);
  const digestAt = Int32Array.from({ length: PAGE }, (_, i) => 33 * i + 1);
  const leafRanges = Int32Array.from({ length: 2 * PAGE }, (_, i) => 33 * (i >> 1) + 33 * (i & 1));
  const leafAt = Int32Array.from({ length: PAGE }, (_, i) => 32 * i);
  const levels = [Buffer.alloc(32 * PAGE), Buffer.alloc(16 * PAGE + 32)];
  const noMarks = new Uint8Array(0);
  const batched: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = process.hrtime.bigint();
    for (let from = 0; from < texts.length; from += PAGE) {
      const count = Math.min(PAGE, texts.length - from);
      hasher.many(all, ranges.subarray(2 * from), count, leafInputs, digestAt);
      hasher.many(leafInputs, leafRanges, count, levels[0], leafAt);
      // The tree over the page's leaves, a level a call: count - 1 nodes in all (about one a leaf).
      for (let n = count, k = 0; n > 1; n = Math.floor(n / 2), k ^= 1)
        hasher.level(levels[k], levels[k ^ 1], noMarks, 0, Math.floor(n / 2));
    }
    batched.push(texts.length / seconds(t));
  }
  // The batched digests are the sealed hashes too (the last page's).
  const last = Math.floor((texts.length - 1) / PAGE) * PAGE;
  if (leafInputs.toString('hex', 1, 33) !== rows[last].hash) throw new Error('the batched floor hashes other bytes');
  return { oneShot: runs, batched };
};

if (require.main === module) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-bench-'));
  runProofBench(dir)
    .then((rs) =>
      rs.forEach((r) =>
        console.log(
          `${r.name.padEnd(72)} ${r.value.toFixed(r.value >= 100 ? 0 : 2).padStart(10)} ${r.unit}   (runs: ${r.runs.map((x) => x.toFixed(x >= 100 ? 0 : 2)).join(', ')})`,
        ),
      ),
    )
    .finally(() => fs.rmSync(dir, { recursive: true, force: true }))
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
