/**
 * Trust anchored outside the ledger (issue 10):
 * - the stream-heads root at 1,000,000 events over 100,000 streams with one checkpoint a minute, amortized per
 *   appended event: the incremental tree (only the changed streams' leaves and the nodes above them, plus those right
 *   of an inserted stream, are rehashed) beside a from-scratch recomputation of every leaf and node per checkpoint;
 * - the witness add-checkpoint round trip on loopback (real HTTP, keep-alive, state fsynced per call) beside a bare
 *   node:http POST round trip on the same loopback as its ceiling.
 * Median of the runs. Part of `npm run bench -- trust`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createServer } from 'node:http';
import { generateKeyPairSync, createHash } from 'node:crypto';
import {
  FileWitnessState,
  MerkleLog,
  StreamHeadsTree,
  Witness,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatAddCheckpoint,
  formatCheckpointText,
  signNote,
  streamHeadsRoot,
} from '@app/ledger';
import { serveWitness } from '../apps/ledger-cli/src/witness/witness-server';
import { type BenchResult, median, prng, seconds } from './bench-kit';

const EVENTS = 1_000_000;
const STREAMS = 100_000;
/** One checkpoint a minute at 1,000 events per second (about what one instance sustains on the embedded store). */
const PER_CHECKPOINT = 60_000;
const RUNS = 3;

const streamHeadsRun = (): { incremental: number; scratch: number; checkpoints: number } => {
  const rand = prng(7);
  const ids: string[] = [];
  const tree = new StreamHeadsTree();
  const heads = new Map<string, { streamId: string; revision: number; hash: string }>();
  const windowIds = new Array<string>(PER_CHECKPOINT);
  const windowHashes = new Array<string>(PER_CHECKPOINT);
  let incremental = 0;
  let scratch = 0;
  let checkpoints = 0;
  for (let base = 0; base < EVENTS; base += PER_CHECKPOINT) {
    // The minute's events are drawn before the clock starts, so only what the read model does per event is timed:
    // `advance` (as MerkleIndex.sync calls it per leaf) and the root at the checkpoint.
    const count = Math.min(PER_CHECKPOINT, EVENTS - base);
    for (let k = 0; k < count; k++) {
      const i = base + k;
      // A new stream every tenth event until there are 100,000 (ids random, so insertions land all over the order).
      if (i % 10 === 0 && ids.length < STREAMS) {
        windowIds[k] = `item-${Math.floor(rand() * 2 ** 48).toString(16)}`;
        ids.push(windowIds[k]);
      } else windowIds[k] = ids[Math.floor(rand() * ids.length)];
      windowHashes[k] = i.toString(16).padStart(64, '0');
    }
    const t = process.hrtime.bigint();
    for (let k = 0; k < count; k++) tree.advance(windowIds[k], windowHashes[k]);
    const root = tree.root();
    incremental += seconds(t);
    checkpoints++;
    for (let k = 0; k < count; k++) {
      const h = heads.get(windowIds[k]);
      if (h) {
        h.revision += 1;
        h.hash = windowHashes[k];
      } else heads.set(windowIds[k], { streamId: windowIds[k], revision: 0, hash: windowHashes[k] });
    }
    const s = process.hrtime.bigint();
    const fromScratch = streamHeadsRoot(heads.values());
    scratch += seconds(s);
    if (fromScratch !== root) throw new Error('the incremental stream-heads root differs from the definition');
  }
  return { incremental, scratch, checkpoints };
};

const witnessRun = async (dir: string, calls: number): Promise<{ witness: number; bare: number }> => {
  const origin = 'custody-ledger/bench';
  const logKey = generateKeyPairSync('ed25519');
  const witness = new Witness({
    name: 'witness.bench/w1',
    privateKey: generateKeyPairSync('ed25519').privateKey,
    logs: new Map([[origin, [ed25519NoteVerifier(origin, logKey.publicKey)]]]),
    state: new FileWitnessState(path.join(dir, `witness-${process.hrtime.bigint()}.json`)),
  });
  const served = await serveWitness(witness, 0);
  const log = new MerkleLog();
  for (let i = 0; i < 10_000; i++) log.append(createHash('sha256').update(String(i)).digest('hex'));
  const bodies: string[] = [];
  for (let k = 1; k <= calls; k++) {
    const size = 5_000 + k * 10;
    const note = signNote(formatCheckpointText({ origin, treeSize: size, rootHash: log.root(size), extensions: [] }), [
      ed25519NoteSigner(origin, logKey.privateKey),
    ]);
    const old = k === 1 ? 0 : size - 10;
    bodies.push(formatAddCheckpoint({ oldSize: old, proof: log.consistencyProof(old, size), checkpoint: note }));
  }
  const bare = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok\n'));
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
  const barePort = (bare.address() as { port: number }).port;
  try {
    let s = process.hrtime.bigint();
    for (const body of bodies) {
      const r = await fetch(`http://127.0.0.1:${served.port}/add-checkpoint`, { method: 'POST', body });
      if (r.status !== 200) throw new Error(`add-checkpoint answered ${r.status}: ${await r.text()}`);
      await r.text();
    }
    const w = seconds(s) / calls;
    s = process.hrtime.bigint();
    for (const body of bodies) await (await fetch(`http://127.0.0.1:${barePort}/`, { method: 'POST', body })).text();
    return { witness: w, bare: seconds(s) / calls };
  } finally {
    await served.close();
    await new Promise<void>((r) => bare.close(() => r()));
  }
};

export const runTrustBench = async (): Promise<BenchResult[]> => {
  const inc: number[] = [];
  const scr: number[] = [];
  let checkpoints = 0;
  for (let r = 0; r < RUNS; r++) {
    const run = streamHeadsRun();
    inc.push((run.incremental / EVENTS) * 1e6);
    scr.push((run.scratch / EVENTS) * 1e6);
    checkpoints = run.checkpoints;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trust-bench-'));
  const wit: number[] = [];
  const bare: number[] = [];
  try {
    for (let r = 0; r < RUNS; r++) {
      const run = await witnessRun(dir, 200);
      wit.push(run.witness * 1e3);
      bare.push(run.bare * 1e3);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return [
    {
      name: `stream-heads root, incremental (1M ev, 100k streams, ${checkpoints} ckpts)`,
      value: median(inc),
      unit: 'µs/event',
      runs: inc,
    },
    { name: 'stream-heads root, from scratch per checkpoint (peer)', value: median(scr), unit: 'µs/event', runs: scr },
    { name: 'witness add-checkpoint round trip (loopback, fsync)', value: median(wit), unit: 'ms', runs: wit },
    { name: 'bare HTTP POST round trip, same loopback (ceiling)', value: median(bare), unit: 'ms', runs: bare },
  ];
};

if (require.main === module)
  void runTrustBench().then((rs) => {
    for (const r of rs) console.log(`${r.name.padEnd(70)} ${r.value.toFixed(3).padStart(10)} ${r.unit}`);
  });
