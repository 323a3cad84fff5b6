/**
 * The single-command path without HTTP (`npm run bench -- http`, part `single-core`): `LedgerCore.execute` of
 * RecordReading over 1,000 items by 20 readers, CONNECTIONS commands in flight as the HTTP part has, in a process of its
 * own, so a baseline build is measured by the same driver (`node -r BUILD/scripts/register-paths.js
 * dist/bench/single-core.driver.js` resolves `@app/*` to that build). On a shared machine the HTTP part's runs spread
 * wider than a 10 % change (docs/benchmarks.md "The command path, session 7"); the main thread's own CPU per command,
 * read here from /proc, is the figure that sets the rate on two cores and moves least with the others' load. Prints
 * one JSON line: commands, wall ms, CPU µs per command (every thread) and the main thread's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SystemClock } from '@app/ledger';
import { LedgerCore, type Principal } from '@app/application';
import { mainThreadCpuSeconds, readingRoomSetup } from './bench-kit';

const IN_FLIGHT = 32;
const ITEMS = Array.from({ length: 1_000 }, (_, i) => `doc-${i}`);
const READERS = Array.from({ length: 20 }, (_, i) => `p-r${i}`);
const principal: Principal = { personId: 'p-admin', name: 'admin', roles: ['admin', 'registrar', 'custodian'] };

async function main(): Promise<void> {
  const commands = Number(process.env.BENCH_SINGLE_CORE_COMMANDS ?? 6_000);
  const dir = fs.mkdtempSync(path.join(process.env.BENCH_CORE_DIR ?? os.tmpdir(), 'single-core-'));
  const core = await LedgerCore.open({ dataDir: dir, clock: new SystemClock() });
  try {
    const setup = readingRoomSetup(READERS, ITEMS);
    const failed = (await core.executeBatch(setup, principal)).find((r) => !r.ok);
    if (failed) throw failed.error instanceof Error ? failed.error : new Error(String(failed.error));
    let sent = 0;
    const run = async (n: number): Promise<void> => {
      let left = n;
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (left-- > 0) {
            const i = sent++;
            await core.execute(
              'RecordReading',
              { data: { itemId: ITEMS[i % ITEMS.length], reader: READERS[i % READERS.length], placeId: 'room-1' } },
              principal,
            );
          }
        }),
      );
    };
    // Warm-up: the JIT, every item's and reader's fold in the runner's cache, the statements.
    await run(3_000);
    const main0 = mainThreadCpuSeconds();
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    await run(commands);
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const used = process.cpuUsage(cpu);
    const main1 = mainThreadCpuSeconds();
    process.stdout.write(
      JSON.stringify({
        commands,
        wallMs,
        cpuUsPerCommand: (used.user + used.system) / commands,
        mainUsPerCommand: main0 === undefined || main1 === undefined ? undefined : ((main1 - main0) * 1e6) / commands,
      }) + '\n',
    );
  } finally {
    await core.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
