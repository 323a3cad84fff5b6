/**
 * Investigation benchmarks: an item's history with 10,000 events, and the report draft and exposure set of an item
 * with 1,000 events and 50 copies. Each figure is the median of 5 runs. The data are real custody commands decided
 * by the domain and appended through the DeciderRunner (the same runner LedgerCore.execute uses, called directly:
 * no per-command HTTP validation or read-your-writes wait), so every event is sealed and verifiable.
 * Part of `npm run bench -- investigation`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ManualClock, DeciderRunner } from '@app/ledger';
import type { CustodyCommand } from '@app/custody';
import { mayRead } from '@app/custody';
import {
  LedgerCore,
  custodyProgram,
  readHistory,
  exposureOf,
  buildReportDraft,
  personsAt,
  readPersonStreams,
  CheckpointService,
  exportBundle,
} from '@app/application';
import { type BenchResult, median, receivedSecretItem } from './bench-kit';

const RUNS = 5;
const HISTORY_EVENTS = 10_000;
const DRAFT_EVENTS = 1_000;
const COPIES = 50;
const MANY_PERSONS = Number(process.env.BENCH_MANY_PERSONS ?? 5_000);

const timed = async (name: string, fn: () => Promise<unknown>): Promise<BenchResult> => {
  await fn(); // warm-up: JIT, SQLite page cache
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await fn();
    runs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { name, value: median(runs), unit: 'ms', runs };
};

export async function runInvestigationBench(dir: string): Promise<BenchResult[]> {
  const dataDir = path.join(dir, 'investigation');
  fs.mkdirSync(dataDir, { recursive: true });
  const clock = new ManualClock('2026-03-02T00:00:00Z');
  const core = await LedgerCore.open({ dataDir, clock });
  const runner = new DeciderRunner(core.store, clock);
  const program = custodyProgram(core.readModels);
  let n = 0;
  let t = Date.parse('2026-03-02T01:00:00Z');
  const run = async (actor: string, type: string, data: Record<string, unknown>): Promise<void> => {
    t += 1000;
    clock.set(new Date(t));
    await runner.run(program, {
      type,
      data,
      commandId: `bench-${n++}`,
      actor,
      at: new Date(t).toISOString(),
    } as CustodyCommand);
  };
  try {
    const persons = [
      ['p-gm', 'executive', 'TOP_SECRET'],
      ['p-dir', 'director', 'SECRET'],
      ['p-zhang', 'staff', 'SECRET'],
      ['p-driver', 'staff', 'NONE'],
      ...Array.from({ length: 16 }, (_, i) => [`p-d${i}`, 'director', 'SECRET']),
    ];
    for (const [personId, rank, clearance] of persons)
      await run('p-registrar', 'RegisterPerson', { personId, name: personId, rank, clearance, unit: 'office' });
    await run('p-registrar', 'RegisterPlace', { placeId: 'room-1', name: 'reading room', kind: 'reading-room' });
    const receive = (itemId: string) => run('p-zhang', 'RegisterReceivedItem', receivedSecretItem(itemId));
    const readers = persons.filter((p) => p[1] !== 'staff').map((p) => p[0]);
    const read = (itemId: string, i: number) =>
      run('p-zhang', 'RecordReading', { itemId, reader: readers[i % readers.length], placeId: 'room-1' });

    // An item with 10,000 events: a receipt and 9,999 readings.
    process.stderr.write(`  building an item with ${HISTORY_EVENTS} events…\n`);
    await receive('doc-long');
    for (let i = 1; i < HISTORY_EVENTS; i++) await read('doc-long', i);

    // An item with 1,000 events and 50 copies, each copy read 4 times, and a reading out of scope that opens an incident.
    process.stderr.write(`  building an item with ${DRAFT_EVENTS} events and ${COPIES} copies…\n`);
    await receive('doc-inc');
    await run('p-zhang', 'RequestCopy', { itemId: 'doc-inc', requestId: 'r-1', copies: COPIES });
    await run('p-gm', 'ApproveCopy', { itemId: 'doc-inc', requestId: 'r-1' });
    for (let c = 1; c <= COPIES; c++) {
      await run('p-zhang', 'RecordCopy', { itemId: 'doc-inc', copyItemId: `doc-inc-c${c}`, requestId: 'r-1' });
      for (let r = 0; r < 4; r++) await read(`doc-inc-c${c}`, r + c);
    }
    await run('p-zhang', 'RecordReading', { itemId: 'doc-inc', reader: 'p-driver', placeId: 'room-1' });
    const used = 3 + COPIES + 2; // receipt, request, approval, ItemCopied ×50, the driver's reading and its violation
    for (let i = used; i < DRAFT_EVENTS; i++) await read('doc-inc', i);
    await core.readModels.catchUp();
    const incidentId = core.readModels.incidents.openFor('doc-inc')?.incidentId;
    if (!incidentId) throw new Error('the out-of-scope reading opened no incident');
    const long = (await core.store.readStream('item-doc-long')).length;
    const inc = (await core.store.readStream('item-doc-inc')).length;
    process.stderr.write(`  doc-long: ${long} events; doc-inc: ${inc} events + ${COPIES} copies\n`);

    const results = [
      await timed(`history of an item with ${long.toLocaleString('en-US')} events`, () =>
        readHistory(core, 'doc-long'),
      ),
      await timed(`a page of it (limit 100, cursor 5,000)`, () =>
        readHistory(core, 'doc-long', { limit: 100, cursor: '5000' }),
      ),
      await timed(`history of the same, occurredBefore (world order)`, () =>
        readHistory(core, 'doc-long', { occurredBefore: '2026-03-05T00:00:00Z' }),
      ),
      await timed(`report draft: item with ${inc.toLocaleString('en-US')} events and ${COPIES} copies`, () =>
        buildReportDraft(core, incidentId),
      ),
      await timed(`exposure set: item with ${inc.toLocaleString('en-US')} events and ${COPIES} copies`, () =>
        exposureOf(core, ['doc-inc']),
      ),
      await timed(`history with copies: item with ${inc.toLocaleString('en-US')} events and ${COPIES} copies`, () =>
        readHistory(core, 'doc-inc', { copies: true }),
      ),
    ];
    // A checkpoint now, then more events (the persons below): the export proves against a checkpoint older than the
    // log, as it does in service (checkpoints are signed periodically), so every copy's stream head is proven at an
    // earlier tree size.
    const checkpoints = CheckpointService.forCore(core);
    await checkpoints.signNow({ force: true });

    // Many persons: the readers of an ordinary item at an instant, from the person index, beside the old way of
    // folding every person stream (same answer; the spec in test/read-models holds them equal).
    process.stderr.write(`  registering ${MANY_PERSONS} more persons (mostly staff)…\n`);
    for (let i = 0; i < MANY_PERSONS; i++)
      await run('p-registrar', 'RegisterPerson', {
        personId: `p-m${i}`,
        name: `person ${i}`,
        rank: i % 10 === 0 ? 'director' : 'staff',
        clearance: 'SECRET',
        unit: `unit-${i % 20}`,
      });
    await receive('doc-short');
    for (let i = 1; i < 5; i++) await read('doc-short', i);
    await core.readModels.catchUp();
    const registered = core.readModels.custody.persons().length;
    results.push(
      await timed(`history of a 5-event item, ${registered.toLocaleString('en-US')} persons registered`, () =>
        readHistory(core, 'doc-short', { asOf: new Date(t).toISOString() }),
      ),
      await timed(
        `export of an item with ${COPIES} copies (${inc.toLocaleString('en-US')} + ${COPIES * 5} events)`,
        () => exportBundle(core, checkpoints, 'doc-inc'),
      ),
      await timed(`floor, same data: reading its ${COPIES + 1} streams from the store`, async () => {
        for (const id of core.readModels.custody.copyTree('doc-inc')) await core.store.readStream(`item-${id}`);
      }),
      await timed(`peer, same data: its readers by folding every person stream`, async () => {
        const state = core.readModels.custody.item('doc-short')!;
        return personsAt(await readPersonStreams(core), { asOf: new Date(t).toISOString() }).filter((p) =>
          mayRead(p, state),
        );
      }),
    );
    return results;
  } finally {
    await core.close();
  }
}
