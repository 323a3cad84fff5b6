/**
 * The auditor's trusted state (issue 10): `verify` over 100,000 events on a real store file with the trusted state
 * pinned at an earlier checkpoint (consistency proof from the pinned size recomputed from the events, file read and
 * atomically replaced), beside plain `verify` (chains + tree + checkpoints) in the same run as its peer. Runs are
 * interleaved (plain, trusted, plain, …) so a loaded machine slows both alike. Median of 5 runs each. Part of
 * `npm run bench -- trusted-state`; alone: `node -r ./test/support/ts-register.js bench/trusted-state.bench.ts`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  GENESIS_HASH,
  SqliteEventStore,
  SystemClock,
  loadOrCreateSigningKey,
  sealEvents,
  type NewEvent,
  type StreamWrite,
} from '@app/ledger';
import { ReadModels } from '@app/read-models';
import {
  CheckpointService,
  nextTrustedState,
  readTrustedState,
  verifyLedgerIntegrity,
  writeTrustedState,
} from '@app/application';
import { type BenchResult, median, seconds, syntheticReading } from './bench-kit';

const RUNS = 5;
const EVENTS = 100_000;
const PINNED_AT = 70_000;
const STREAMS = 1_000;
const PER_APPEND = 500;

const newEvent = (i: number): NewEvent => syntheticReading(i, STREAMS);

const heads = new Map<string, { revision: number; hash: string }>();
/** Appends events [from, to) sealed over STREAMS streams, PER_APPEND per transaction. */
const load = async (store: SqliteEventStore, from: number, to: number): Promise<void> => {
  for (let start = from; start < to; start += PER_APPEND) {
    const byStream = new Map<string, NewEvent[]>();
    for (let i = start; i < Math.min(to, start + PER_APPEND); i++) {
      const s = `item-doc-${i % STREAMS}`;
      (byStream.get(s) ?? byStream.set(s, []).get(s)!).push(newEvent(i));
    }
    const writes: StreamWrite[] = [...byStream].map(([streamId, events]) => {
      const head = heads.get(streamId) ?? { revision: -1, hash: GENESIS_HASH };
      const sealed = sealEvents(streamId, head.revision, head.hash, events);
      heads.set(streamId, { revision: head.revision + events.length, hash: sealed[sealed.length - 1].metadata.hash });
      return { streamId, expectedRevision: head.revision < 0 ? 'no-stream' : head.revision, events: sealed };
    });
    await store.appendMany(writes);
  }
};

export async function runTrustedStateBench(dir: string): Promise<BenchResult[]> {
  const work = fs.mkdtempSync(path.join(dir, 'trusted-state-'));
  const store = SqliteEventStore.open(path.join(work, 'ledger.sqlite'));
  const results: BenchResult[] = [];
  try {
    // Two signed checkpoints, as the service's timer leaves them: the auditor pinned the first one last time.
    const readModels = ReadModels.open(store, path.join(work, 'read-models.sqlite'));
    readModels.start();
    const signer = new CheckpointService(store, readModels, new SystemClock(), loadOrCreateSigningKey(work));
    await load(store, 0, PINNED_AT);
    const first = (await signer.signNow()).checkpoint!;
    await load(store, PINNED_AT, EVENTS);
    await signer.signNow();
    await readModels.close();
    const publicKeyPem = signer.publicKeyPem;
    const stateFile = path.join(work, 'auditor-trusted-state.json');
    const pinned = nextTrustedState(first, 'store', new Date().toISOString());

    const plainRuns: number[] = [];
    const trustedRuns: number[] = [];
    let checked = 0;
    for (let r = 0; r < RUNS; r++) {
      let t = process.hrtime.bigint();
      const plain = await verifyLedgerIntegrity(store, { publicKeyPem });
      if (!plain.ok) throw new Error(`verify failed: ${JSON.stringify(plain.firstFailure)}`);
      checked = plain.eventsChecked;
      plainRuns.push(checked / seconds(t));

      writeTrustedState(stateFile, pinned);
      t = process.hrtime.bigint();
      const trustedState = readTrustedState(stateFile);
      const withState = await verifyLedgerIntegrity(store, { publicKeyPem, trustedState });
      if (!withState.ok || withState.trustedState?.status !== 'consistent')
        throw new Error(`verify with trusted state failed: ${JSON.stringify(withState.trustedState)}`);
      writeTrustedState(stateFile, nextTrustedState(withState.checkpoints.latest!, 'store', new Date().toISOString()));
      trustedRuns.push(withState.eventsChecked / seconds(t));
    }
    const k = `${Math.round(checked / 1000)}k events`;
    results.push({ name: `verify, plain (peer) (${k})`, value: median(plainRuns), unit: 'events/s', runs: plainRuns });
    results.push({
      name: `verify --trusted-state (pinned at ${PINNED_AT / 1000}k; ${k})`,
      value: median(trustedRuns),
      unit: 'events/s',
      runs: trustedRuns,
    });
  } finally {
    await store.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
  return results;
}

if (require.main === module) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-bench-'));
  void runTrustedStateBench(dir)
    .then((rs) =>
      rs.forEach((r) =>
        console.log(
          `${r.name.padEnd(60)} ${Math.round(r.value).toLocaleString('en-US').padStart(10)} ${r.unit}   (runs: ${r.runs.map((x) => Math.round(x).toLocaleString('en-US')).join(', ')})`,
        ),
      ),
    )
    .finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}
