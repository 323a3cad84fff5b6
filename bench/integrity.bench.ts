/**
 * Integrity layer benchmarks: sealing (hash chain), full verification, Merkle log appends and proofs at a million
 * leaves. Each figure is the median of 5 runs. Part of `npm run bench -- integrity`; runnable alone after a build
 * (`npm run ensure-built && node dist/bench/integrity.bench.js`): it imports by relative path, no alias needed.
 */
import { createHash } from 'node:crypto';
import { type NewEvent, type RecordedEvent, GENESIS_HASH, MerkleLog, sealEvents, verifyEvents } from '@app/ledger';
import { type BenchResult, median, seconds, prng, syntheticReading } from './bench-kit';

const RUNS = 5;
const EVENTS = 100_000;
const STREAMS = 1_000;
const LEAVES = 1_000_000;
const PROOFS = 10_000;

const newEvent = (i: number): NewEvent => syntheticReading(i, STREAMS);

type Batch = { streamId: string; firstRevision: number; events: NewEvent[] };

/** Seals the events over STREAMS streams, two per call as a command typically appends; the part that is timed. */
function sealAll(events: NewEvent[]): Batch[] {
  const heads = new Map<string, { revision: number; hash: string }>();
  const batches: Batch[] = [];
  for (let i = 0; i < events.length; i += 2) {
    const streamId = `item-doc-${(i / 2) % STREAMS}`;
    const head = heads.get(streamId) ?? { revision: -1, hash: GENESIS_HASH };
    const sealed = sealEvents(streamId, head.revision, head.hash, [events[i], events[i + 1]]);
    batches.push({ streamId, firstRevision: head.revision + 1, events: sealed });
    heads.set(streamId, { revision: head.revision + 2, hash: sealed[1].metadata.hash });
  }
  return batches;
}

/** The global log a store would hold after appending the batches in order. */
function toLog(batches: Batch[]): RecordedEvent[] {
  const log: RecordedEvent[] = [];
  for (const b of batches) {
    b.events.forEach((e, k) =>
      log.push({
        ...e,
        streamId: b.streamId,
        revision: b.firstRevision + k,
        position: log.length * 3 + 1,
      } as unknown as RecordedEvent),
    );
  }
  return log;
}

/** Runs the integrity benchmarks and returns one result per measure (median of 5 runs). */
export async function runIntegrityBench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const record = (name: string, unit: string, runs: number[]) =>
    results.push({ name, value: median(runs), unit, runs });

  const events = Array.from({ length: EVENTS }, (_, i) => newEvent(i));
  let batches: Batch[] = [];
  const sealRuns: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t = process.hrtime.bigint();
    batches = sealAll(events);
    sealRuns.push(EVENTS / seconds(t));
  }
  record(`sealEvents (${EVENTS.toLocaleString('en-US')} events, 2 per call)`, 'events/s', sealRuns);

  // As a store returns them: parsed from JSON, sharing nothing with the sealed objects.
  const stored = JSON.parse(JSON.stringify(toLog(batches))) as RecordedEvent[];
  const verifyRuns: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t = process.hrtime.bigint();
    const result = await verifyEvents(stored);
    const s = seconds(t);
    if (!result.ok || result.eventsChecked !== EVENTS)
      throw new Error(`benchmark log did not verify: ${JSON.stringify(result.firstFailure)}`);
    verifyRuns.push(EVENTS / s);
  }
  record(`verifyEvents (${EVENTS.toLocaleString('en-US')} events, chains + Merkle root)`, 'events/s', verifyRuns);

  // Event hashes for the leaves; made up front so the append measure covers the log alone.
  const hashes = new Array<string>(LEAVES);
  for (let i = 0; i < LEAVES; i++) hashes[i] = createHash('sha256').update(`event ${i}`).digest('hex');
  let merkle = new MerkleLog();
  const appendRuns: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    merkle = new MerkleLog();
    const t = process.hrtime.bigint();
    for (let i = 0; i < LEAVES; i++) merkle.append(hashes[i]);
    appendRuns.push(LEAVES / seconds(t));
  }
  record(`MerkleLog.append (${LEAVES.toLocaleString('en-US')} leaves)`, 'leaves/s', appendRuns);

  const inclusionRuns: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const next = prng(r + 1);
    const t = process.hrtime.bigint();
    for (let p = 0; p < PROOFS; p++) merkle.inclusionProof(Math.floor(next() * LEAVES), LEAVES);
    inclusionRuns.push((seconds(t) * 1e6) / PROOFS);
  }
  record(`MerkleLog.inclusionProof at ${LEAVES.toLocaleString('en-US')} leaves`, 'µs/proof', inclusionRuns);

  const consistencyRuns: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const next = prng(100 + r);
    const t = process.hrtime.bigint();
    for (let p = 0; p < PROOFS; p++) merkle.consistencyProof(1 + Math.floor(next() * (LEAVES - 1)), LEAVES);
    consistencyRuns.push((seconds(t) * 1e6) / PROOFS);
  }
  record(`MerkleLog.consistencyProof at ${LEAVES.toLocaleString('en-US')} leaves`, 'µs/proof', consistencyRuns);

  return results;
}

if (require.main === module) {
  runIntegrityBench()
    .then((results) => {
      for (const r of results) {
        const runs = r.runs.map((x) => x.toFixed(x >= 100 ? 0 : 2)).join(', ');
        console.log(
          `${r.name.padEnd(62)} ${r.value.toFixed(r.value >= 100 ? 0 : 2).padStart(12)} ${r.unit}   (runs: ${runs})`,
        );
      }
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
