/**
 * Trust anchored outside the ledger (issue 10):
 * - the stream-heads root at 1,000,000 events over 100,000 streams with one checkpoint a minute, amortized per
 *   appended event: the incremental tree (only the changed streams' leaves and the nodes above them, plus those right
 *   of an inserted stream, are rehashed) beside a from-scratch recomputation of every leaf and node per checkpoint
 *   (a second pass over the same minutes), in wall-clock and in CPU time (a loaded machine inflates the first most),
 *   and beside the floor: as many bare SHA-256 computations as the incremental tree made, through its hasher in the
 *   same batches (what no implementation of the definition with that hasher can avoid). The tree hashes through the
 *   native addon (packages/sha256-batch) when it is built, as the service does; a pass of its own times the same path
 *   with the node:crypto hasher it falls back to, beside that hasher's floor (as many one-shot crypto.hash calls). The tree is driven by stream number, as MerkleIndex.sync drives it since
 *   read-model schema 8, and in a pass of its own by stream id (callers without numbers); the merkle-leaves
 *   projection's id → number lookup, the one lookup by id per event left on that path, is timed on its own;
 * - the witness add-checkpoint round trip on loopback (real HTTP, keep-alive, state fsynced per call) beside a bare
 *   node:http POST round trip on the same loopback as its ceiling, and the same calls in process (state file fsynced,
 *   state in memory) to say where the time goes.
 * Median of the runs. Part of `npm run bench -- trust`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createServer } from 'node:http';
import { generateKeyPairSync, createHash, hash } from 'node:crypto';
import {
  FileWitnessState,
  MemoryWitnessState,
  MerkleLog,
  StreamHeadsTree,
  Witness,
  defaultSha256Batch,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatAddCheckpoint,
  formatCheckpointText,
  nodeCryptoSha256Batch,
  signNote,
  streamHeadsRoot,
  type Sha256Batch,
  type WitnessStateStore,
} from '@app/ledger';
import { serveWitness } from '../apps/ledger-cli/src/witness/witness-server';
import { type BenchResult, median, prng, seconds } from './bench-kit';

const EVENTS = 1_000_000;
const STREAMS = 100_000;
/** One checkpoint a minute at 1,000 events per second (about what one instance sustains on the embedded store). */
const PER_CHECKPOINT = 60_000;
const RUNS = 3;

interface StreamHeadsRun {
  /**
   * Seconds (wall clock) summed over the checkpoints: the numbered path as MerkleIndex.sync drives it (the number's
   * place in the index's map to the tree's numbers, `advanceNumbered`, `root`); the path by id (`advance`, `root`:
   * a caller without numbers, and every caller before read-model schema 8); the from-scratch peer.
   */
  incremental: number;
  /** The numbered path again with the node:crypto hasher (what the tree falls back to without the addon). */
  nodeCrypto: number;
  byId: number;
  scratch: number;
  /**
   * The one lookup by id per event left on the Merkle side of the live path: the merkle-leaves projection's cache
   * from stream id to number (a Map of every stream). It replaced the index's per-leaf Map by id (its pending heads),
   * which every leaf paid before beside the tree's own lookup; timed on its own so the two can be added.
   */
  lookup: number;
  /** The same, in CPU seconds of this process (user + system): less sensitive to a loaded machine. */
  incrementalCpu: number;
  nodeCryptoCpu: number;
  byIdCpu: number;
  scratchCpu: number;
  lookupCpu: number;
  /**
   * Seconds for as many bare SHA-256 computations (leaf-sized and node-sized inputs) as the incremental tree made,
   * through the tree's own hasher in batches (the floor: what no implementation of the definition with that hasher
   * can avoid), and as one-shot `crypto.hash` calls (what the node:crypto hasher's floor is).
   */
  floor: number;
  floorCpu: number;
  callFloor: number;
  callFloorCpu: number;
  checkpoints: number;
  hashed: { leaves: number; nodes: number };
}

const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

/**
 * `leaves` + `nodes` one-shot SHA-256 calls shaped like the tree's: a leaf input of a head's length (0x00, the JSON of
 * a 64-hex hash, a revision and a 20-character stream id: 118 bytes) and a 65-byte node input, each a whole Buffer
 * written into 32-byte slots the cheapest way node:crypto allows (what sha256Into does: 'latin1' out, latin1Write in).
 */
const bareHashing = (leaves: number, nodes: number): { wall: number; cpu: number } => {
  const out = Buffer.alloc(32 * 1024);
  const node = Buffer.alloc(65, 1);
  const leaf = Buffer.from(`\u0000{"hash":"${HEX[7]}","revision":12,"streamId":"item-9a3f2c1b7e5d"}`);
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  const slots = out as Buffer & { latin1Write(text: string, offset: number, length: number): number };
  const latin1 = 'latin1' as 'binary';
  for (let i = 0; i < leaves; i++) slots.latin1Write(hash('sha256', leaf, latin1), (i & 1023) * 32, 32);
  for (let i = 0; i < nodes; i++) slots.latin1Write(hash('sha256', node, latin1), (i & 1023) * 32, 32);
  return { wall: seconds(t), cpu: cpuSeconds(cpu) };
};
const HEX = Array.from({ length: 1024 }, (_, i) => hash('sha256', `h${i}`, 'hex'));

/**
 * The same computations through a batch hasher, in the calls the tree makes: leaves 512 to a `many` call (118-byte
 * inputs in 256-byte slots), nodes a level at a time (`level` over 65,536 nodes: every node hashed, none skipped).
 */
const batchedHashing = (hasher: Sha256Batch, leaves: number, nodes: number): { wall: number; cpu: number } => {
  const slots = Buffer.from(new ArrayBuffer(256 * 512));
  const leaf = Buffer.from(`\u0000{"hash":"${HEX[7]}","revision":12,"streamId":"item-9a3f2c1b7e5d"}`);
  const ranges = new Int32Array(2 * 512);
  const offsets = new Int32Array(512);
  for (let k = 0; k < 512; k++) {
    leaf.copy(slots, 256 * k);
    ranges[2 * k] = 256 * k;
    ranges[2 * k + 1] = 256 * k + leaf.length;
    offsets[k] = 32 * k;
  }
  const LEVEL = 65_536;
  const below = Buffer.from(new ArrayBuffer(64 * LEVEL)).fill(7);
  const out = Buffer.from(new ArrayBuffer(32 * LEVEL));
  const marks = new Uint8Array(0);
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  for (let done = 0; done < leaves; done += 512) hasher.many(slots, ranges, Math.min(512, leaves - done), out, offsets);
  for (let done = 0; done < nodes; done += LEVEL) hasher.level(below, out, marks, 0, Math.min(LEVEL, nodes - done));
  return { wall: seconds(t), cpu: cpuSeconds(cpu) };
};

/**
 * The minutes of the run, drawn the same way on every call (seeded): a new stream every tenth event until there are
 * 100,000 (random ids, so insertions land all over the sorted order), otherwise an event of a random known stream;
 * chain hashes are real SHA-256 hex strings, as the store hands them over. One minute at a time, so the heap holds
 * what a service would (a minute of events), not the whole run.
 */
function* minutes(): Generator<Minute> {
  const rand = prng(7);
  const known: string[] = [];
  // Numbers as merkle_streams gives them, first-seen (a drawn id can repeat one drawn before: it is that stream).
  const numbers = new Map<string, number>();
  for (let base = 0; base < EVENTS; base += PER_CHECKPOINT) {
    const count = Math.min(PER_CHECKPOINT, EVENTS - base);
    const ids = new Array<string>(count);
    const hashes = new Array<string>(count);
    const hashSlab = Buffer.allocUnsafe(count * 32);
    const nos = new Int32Array(count);
    const fresh = new Uint8Array(count);
    for (let k = 0; k < count; k++) {
      const i = base + k;
      if (i % 10 === 0 && known.length < STREAMS) {
        ids[k] = `item-${Math.floor(rand() * 2 ** 48).toString(16)}`;
        known.push(ids[k]);
      } else ids[k] = known[Math.floor(rand() * known.length)];
      const no = numbers.get(ids[k]);
      if (no === undefined) {
        fresh[k] = 1;
        nos[k] = numbers.size;
        numbers.set(ids[k], numbers.size);
      } else nos[k] = no;
      hashes[k] = hash('sha256', `event ${i}`, 'hex');
      hashSlab.write(hashes[k], k * 32, 32, 'hex');
    }
    yield { ids, hashes, hashSlab, nos, fresh };
  }
}

/**
 * A minute of events: each one's stream id, chain hash, and the stream's number as `merkle_streams` gives it (dense,
 * first-seen order; `fresh` marks the event that made the number), which the merkle-leaves projection stores in the
 * leaf and the index hands to the tree.
 */
interface Minute {
  ids: string[];
  hashes: string[];
  /**
   * The same hashes as 32 bytes each, one after the other: the numbered pass takes event k's as a 32-byte view made
   * in its timed loop, as the index has each leaf row's BLOB from its read (which the global Merkle log needs anyway)
   * and drops it once handed over. Not 60,000 Buffers made before and held through the minute: a sync holds no row
   * past its step, and held Buffers charged the tree's scavenges for copying a minute of them (docs/benchmarks.md
   * "Trust … Session 7", the lead's note).
   */
  hashSlab: Buffer;
  nos: Int32Array;
  fresh: Uint8Array;
}

const streamHeadsRun = (numberedFirst: boolean): StreamHeadsRun => {
  const run = {
    incremental: 0,
    nodeCrypto: 0,
    byId: 0,
    scratch: 0,
    lookup: 0,
    incrementalCpu: 0,
    nodeCryptoCpu: 0,
    byIdCpu: 0,
    scratchCpu: 0,
    lookupCpu: 0,
    checkpoints: 0,
  };
  // Each path and its peer in passes of their own over the same minutes, so that none is charged for another's
  // garbage (process CPU time counts the GC threads too) or has its caches flushed by it.
  const tree = new StreamHeadsTree();
  const roots: string[] = [];
  const byIdRoots: string[] = [];
  const nodeCryptoRoots: string[] = [];
  /** The numbered path over `tree`, its roots pushed to `roots`, its seconds added to `into` (wall, CPU). */
  const numberedPass = (tree: StreamHeadsTree, roots: string[], into: 'incremental' | 'nodeCrypto') => {
    // The index's map from `merkle_streams` numbers to the tree's, plus one (the identity on a table the projection wrote).
    let treeNo = new Int32Array(1024);
    for (const minute of minutes()) {
      // Timed: per event what MerkleIndex.sync does for the tree (advanceTree: the leaf row's 32 bytes, handed over as
      // they are) and the root at the checkpoint.
      const { nos, hashSlab, fresh, ids } = minute;
      const cpu = process.cpuUsage();
      const t = process.hrtime.bigint();
      for (let k = 0; k < nos.length; k++) {
        const no = nos[k];
        const known = no < treeNo.length ? treeNo[no] : 0;
        const h = hashSlab.subarray(k * 32, k * 32 + 32);
        if (known > 0) tree.advanceNumbered(known - 1, h);
        else {
          // A new stream: its id with it (the index reads a sync's new ids in one range query of merkle_streams).
          const tno = tree.size;
          tree.advanceNumbered(tno, h, fresh[k] ? ids[k] : undefined);
          if (no >= treeNo.length) {
            const grown = new Int32Array(2 * treeNo.length);
            grown.set(treeNo);
            treeNo = grown;
          }
          treeNo[no] = tno + 1;
        }
      }
      roots.push(tree.root());
      run[into] += seconds(t);
      run[`${into}Cpu`] += cpuSeconds(cpu);
      if (into === 'incremental') run.checkpoints++;
    }
  };
  const byIdPass = () => {
    const byId = new StreamHeadsTree();
    for (const minute of minutes()) {
      const cpu = process.cpuUsage();
      const t = process.hrtime.bigint();
      for (let k = 0; k < minute.ids.length; k++) byId.advance(minute.ids[k], minute.hashes[k]);
      byIdRoots.push(byId.root());
      run.byId += seconds(t);
      run.byIdCpu += cpuSeconds(cpu);
    }
  };
  // Alternately first (the first pass of a run also pays for the JIT's warm-up of the code the two share).
  const service = () => numberedPass(tree, roots, 'incremental');
  const fallback = () =>
    numberedPass(new StreamHeadsTree({ hasher: nodeCryptoSha256Batch }), nodeCryptoRoots, 'nodeCrypto');
  for (const pass of numberedFirst ? [service, byIdPass, fallback] : [fallback, byIdPass, service]) pass();
  if (byIdRoots.join() !== roots.join()) throw new Error('the stream-heads roots by id differ from the numbered ones');
  if (nodeCryptoRoots.join() !== roots.join())
    throw new Error('the stream-heads roots of the node:crypto hasher differ from the default hasher');
  // The projection's cache: a Map of every stream id seen to its number, one get per event (a set for a new one).
  const numbers = new Map<string, number>();
  let sum = 0;
  for (const minute of minutes()) {
    const { ids } = minute;
    const cpu = process.cpuUsage();
    const t = process.hrtime.bigint();
    for (let k = 0; k < ids.length; k++) {
      const n = numbers.get(ids[k]);
      if (n === undefined) numbers.set(ids[k], numbers.size);
      else sum += n;
    }
    run.lookup += seconds(t);
    run.lookupCpu += cpuSeconds(cpu);
  }
  if (sum < 0) throw new Error('unreachable: keeps the lookups from being optimized away');
  const heads = new Map<string, { streamId: string; revision: number; hash: string }>();
  let c = 0;
  for (const minute of minutes()) {
    for (let k = 0; k < minute.ids.length; k++) {
      const h = heads.get(minute.ids[k]);
      if (h) {
        h.revision += 1;
        h.hash = minute.hashes[k];
      } else heads.set(minute.ids[k], { streamId: minute.ids[k], revision: 0, hash: minute.hashes[k] });
    }
    const scratchCpu = process.cpuUsage();
    const s = process.hrtime.bigint();
    const fromScratch = streamHeadsRoot(heads.values());
    run.scratch += seconds(s);
    run.scratchCpu += cpuSeconds(scratchCpu);
    if (fromScratch !== roots[c++]) throw new Error('the incremental stream-heads root differs from the definition');
  }
  const hashed = tree.hashed;
  const floor = batchedHashing(defaultSha256Batch, hashed.leaves, hashed.nodes);
  const calls = bareHashing(hashed.leaves, hashed.nodes);
  return { ...run, floor: floor.wall, floorCpu: floor.cpu, callFloor: calls.wall, callFloorCpu: calls.cpu, hashed };
};

interface WitnessRun {
  /** Seconds per call: over HTTP; bare HTTP; in process with the state file; in process with the state in memory. */
  witness: number;
  bare: number;
  inProcess: number;
  inMemory: number;
}

const witnessRun = async (dir: string, calls: number): Promise<WitnessRun> => {
  const origin = 'custody-ledger/bench';
  const logKey = generateKeyPairSync('ed25519');
  const newWitness = (state: WitnessStateStore) =>
    new Witness({
      name: 'witness.bench/w1',
      privateKey: generateKeyPairSync('ed25519').privateKey,
      logs: new Map([[origin, [ed25519NoteVerifier(origin, logKey.publicKey)]]]),
      state,
    });
  const stateFile = () => new FileWitnessState(path.join(dir, `witness-${process.hrtime.bigint()}.json`));
  const witness = newWitness(stateFile());
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
    const b = seconds(s) / calls;
    // The same calls without HTTP, to say where a round trip goes: the state file (fsync of the file and of its
    // directory, per call: what makes an answer survive a power loss) or the checks and the signature.
    const inProcess = (target: Witness): number => {
      const t = process.hrtime.bigint();
      for (const body of bodies)
        if (target.addCheckpoint(body).status !== 200) throw new Error('add-checkpoint failed');
      return seconds(t) / calls;
    };
    return {
      witness: w,
      bare: b,
      inProcess: inProcess(newWitness(stateFile())),
      inMemory: inProcess(newWitness(new MemoryWitnessState())),
    };
  } finally {
    await served.close();
    await new Promise<void>((r) => bare.close(() => r()));
  }
};

export const runTrustBench = async (): Promise<BenchResult[]> => {
  const us = (seconds: number) => (seconds / EVENTS) * 1e6;
  const inc: number[] = [];
  const fallback: number[] = [];
  const fallbackCpu: number[] = [];
  const callFloor: number[] = [];
  const callFloorCpu: number[] = [];
  const byId: number[] = [];
  const scr: number[] = [];
  const look: number[] = [];
  const incCpu: number[] = [];
  const byIdCpu: number[] = [];
  const scrCpu: number[] = [];
  const lookCpu: number[] = [];
  const floor: number[] = [];
  const floorCpu: number[] = [];
  let last: StreamHeadsRun | undefined;
  for (let r = 0; r < RUNS; r++) {
    last = streamHeadsRun(r % 2 === 0);
    inc.push(us(last.incremental));
    fallback.push(us(last.nodeCrypto));
    fallbackCpu.push(us(last.nodeCryptoCpu));
    callFloor.push(us(last.callFloor));
    callFloorCpu.push(us(last.callFloorCpu));
    byId.push(us(last.byId));
    scr.push(us(last.scratch));
    look.push(us(last.lookup));
    incCpu.push(us(last.incrementalCpu));
    byIdCpu.push(us(last.byIdCpu));
    scrCpu.push(us(last.scratchCpu));
    lookCpu.push(us(last.lookupCpu));
    floor.push(us(last.floor));
    floorCpu.push(us(last.floorCpu));
  }
  const perEvent = (n: number) => (n / EVENTS).toFixed(2);
  const hashes = `${perEvent(last!.hashed.leaves)} leaf + ${perEvent(last!.hashed.nodes)} node hashes/event`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trust-bench-'));
  const wit: number[] = [];
  const bare: number[] = [];
  const inProcess: number[] = [];
  const inMemory: number[] = [];
  try {
    for (let r = 0; r < RUNS; r++) {
      const run = await witnessRun(dir, 200);
      wit.push(run.witness * 1e3);
      bare.push(run.bare * 1e3);
      inProcess.push(run.inProcess * 1e3);
      inMemory.push(run.inMemory * 1e3);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const hasher = defaultSha256Batch.name;
  return [
    {
      name: `stream-heads root, incremental (1M ev, 100k streams, ${last!.checkpoints} ckpts; ${hasher} hasher)`,
      value: median(inc),
      unit: 'µs/event',
      runs: inc,
    },
    {
      name: 'stream-heads root, incremental, node:crypto hasher (the fallback)',
      value: median(fallback),
      unit: 'µs/event',
      runs: fallback,
    },
    { name: 'stream-heads root, incremental by stream id', value: median(byId), unit: 'µs/event', runs: byId },
    { name: 'stream-heads root, from scratch per checkpoint (peer)', value: median(scr), unit: 'µs/event', runs: scr },
    {
      name: "stream id → number, the projection's cache (per event; was the index's by id)",
      value: median(look),
      unit: 'µs/event',
      runs: look,
    },
    { name: 'stream-heads root, incremental, CPU time', value: median(incCpu), unit: 'µs/event', runs: incCpu },
    {
      name: 'stream-heads root, incremental, node:crypto hasher, CPU time',
      value: median(fallbackCpu),
      unit: 'µs/event',
      runs: fallbackCpu,
    },
    {
      name: 'stream-heads root, incremental by stream id, CPU time',
      value: median(byIdCpu),
      unit: 'µs/event',
      runs: byIdCpu,
    },
    { name: 'stream-heads root, from scratch, CPU time (peer)', value: median(scrCpu), unit: 'µs/event', runs: scrCpu },
    {
      name: "stream id → number, the projection's cache, CPU time",
      value: median(lookCpu),
      unit: 'µs/event',
      runs: lookCpu,
    },
    {
      name: `bare SHA-256, as many (${hashes}), ${hasher} hasher in batches (floor)`,
      value: median(floor),
      unit: 'µs/event',
      runs: floor,
    },
    {
      name: `bare SHA-256, as many, ${hasher} hasher in batches, CPU time (floor)`,
      value: median(floorCpu),
      unit: 'µs/event',
      runs: floorCpu,
    },
    {
      name: 'bare crypto.hash calls, as many (the node:crypto floor)',
      value: median(callFloor),
      unit: 'µs/event',
      runs: callFloor,
    },
    {
      name: 'bare crypto.hash calls, as many, CPU time (the node:crypto floor)',
      value: median(callFloorCpu),
      unit: 'µs/event',
      runs: callFloorCpu,
    },
    { name: 'witness add-checkpoint round trip (loopback, fsync)', value: median(wit), unit: 'ms', runs: wit },
    { name: 'bare HTTP POST round trip, same loopback (ceiling)', value: median(bare), unit: 'ms', runs: bare },
    {
      name: 'witness add-checkpoint in process, state file fsynced',
      value: median(inProcess),
      unit: 'ms',
      runs: inProcess,
    },
    { name: 'witness add-checkpoint in process, state in memory', value: median(inMemory), unit: 'ms', runs: inMemory },
  ];
};

if (require.main === module)
  void runTrustBench().then((rs) => {
    for (const r of rs)
      console.log(
        `${r.name.padEnd(78)} ${r.value.toFixed(3).padStart(10)} ${r.unit}  (${(r.runs ?? []).map((v) => v.toFixed(2)).join(', ')})`,
      );
  });
