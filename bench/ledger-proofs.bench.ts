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
import {
  SystemClock,
  SqliteEventStore,
  type NewEvent,
  type StreamWrite,
  GENESIS_HASH,
  sealEvents,
  loadOrCreateSigningKey,
  signCheckpoint,
  verifyConsistency,
  verifyInclusion,
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
const load = async (store: SqliteEventStore): Promise<void> => {
  const heads = new Map<string, { revision: number; hash: string }>();
  for (let start = 0; start < EVENTS; start += PER_APPEND) {
    const byStream = new Map<string, NewEvent[]>();
    for (let i = start; i < Math.min(EVENTS, start + PER_APPEND); i++) {
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
