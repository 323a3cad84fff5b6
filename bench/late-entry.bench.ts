/**
 * Late entry (contract §5.1 2): a fact is judged as things stood when it happened, so a reading typed in late makes the
 * decider runner fold the item "as of" its occurredAt. An item with 10,000 events (a receipt and 9,999 readings),
 * then readings entered through the same DeciderRunner LedgerCore uses, its cache warm: one in order (occurredAt
 * after everything the item knows — it should pay nothing extra) beside one entered late (occurredAt in the middle
 * of the item's history — it re-reads and refolds the stream). Peers: the in-order entry decided without judging
 * "as of" at all (the v1 runner: what "pays nothing extra" is measured against), and the in-order entry on a runner
 * whose cache is cold (it folds the whole stream, the floor of what a late entry must do). Medians of 7 runs.
 * Part of `npm run bench -- late-entry`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ManualClock, DeciderRunner } from '@app/ledger';
import type { CustodyCommand } from '@app/custody';
import { LedgerCore, custodyProgram } from '@app/application';
import { type BenchResult, median, receivedSecretItem } from './bench-kit';

const RUNS = 7;
const EVENTS = 10_000;

export async function runLateEntryBench(dir: string): Promise<BenchResult[]> {
  const dataDir = path.join(dir, 'late-entry');
  fs.mkdirSync(dataDir, { recursive: true });
  const clock = new ManualClock('2026-03-02T00:00:00Z');
  const core = await LedgerCore.open({ dataDir, clock });
  const runner = new DeciderRunner(core.store, clock);
  const program = custodyProgram(core.readModels);
  let n = 0;
  let t = Date.parse('2026-03-02T01:00:00Z');
  const command = (actor: string, type: string, data: Record<string, unknown>, at: number): CustodyCommand =>
    ({ type, data, commandId: `late-${n++}`, actor, at: new Date(at).toISOString() }) as CustodyCommand;
  const run = async (actor: string, type: string, data: Record<string, unknown>): Promise<void> => {
    t += 1000;
    clock.set(new Date(t));
    await runner.run(program, command(actor, type, data, t));
  };
  const reading = (reader: string) => ({ itemId: 'doc-long', reader, placeId: 'room-1' });
  try {
    for (const [personId, rank, clearance] of [
      ['p-gm', 'executive', 'TOP_SECRET'],
      ['p-dir', 'director', 'SECRET'],
      ['p-zhang', 'staff', 'SECRET'],
    ])
      await run('p-registrar', 'RegisterPerson', { personId, name: personId, rank, clearance, unit: 'office' });
    await run('p-registrar', 'RegisterPlace', { placeId: 'room-1', name: 'reading room', kind: 'reading-room' });
    await run('p-zhang', 'RegisterReceivedItem', receivedSecretItem('doc-long', 'directive'));
    process.stderr.write(`  building an item with ${EVENTS} events…\n`);
    for (let i = 1; i < EVENTS; i++) await run('p-zhang', 'RecordReading', reading(i % 2 ? 'p-gm' : 'p-dir'));
    const middle = Date.parse('2026-03-02T01:00:00Z') + (EVENTS / 2) * 1000;
    const events = (await core.store.readStream('item-doc-long')).length;

    const unjudged = { ...program, judgedAsOf: undefined };
    const timed = async (
      name: string,
      make: () => CustodyCommand,
      on = () => runner,
      p: typeof program = program,
    ): Promise<BenchResult> => {
      const runs: number[] = [];
      for (let i = 0; i <= RUNS; i++) {
        const c = make();
        const r = on();
        const start = process.hrtime.bigint();
        await r.run(p, c);
        if (i > 0) runs.push(Number(process.hrtime.bigint() - start) / 1e6); // the first is a warm-up
      }
      return { name, value: median(runs), unit: 'ms', runs };
    };
    const inOrder = () => {
      t += 1000;
      clock.set(new Date(t));
      return command('p-zhang', 'RecordReading', reading('p-gm'), t);
    };
    const late = () => {
      t += 1000;
      clock.set(new Date(t));
      return command('p-zhang', 'RecordReading', reading('p-dir'), middle + (n % 500));
    };
    const label = events.toLocaleString('en-US');
    const results = [
      await timed(`reading entered in order, item of ${label} events`, inOrder),
      await timed(`peer: the same, decided without judging as of (v1)`, inOrder, () => runner, unjudged),
      await timed(
        `peer: the same on a cold runner (folds the whole item)`,
        inOrder,
        () => new DeciderRunner(core.store, clock),
      ),
      await timed(`reading entered late (occurred mid-history), same item`, late),
    ];
    return results;
  } finally {
    await core.close();
  }
}
