/**
 * The bulk path without HTTP (`npm run bench -- http`, part `core`): `LedgerCore.executeBatch` of the same batches as
 * the HTTP batch part (500 readings over 1,000 items by 20 readers), in a process of its own, so a baseline build can
 * be measured by the same driver: `node -r BUILD/scripts/register-paths.js dist/bench/batch-core.driver.js` resolves
 * `@app/*` to that build. Prints one JSON line: facts, wall ms, CPU µs per fact (process.cpuUsage: every thread).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SystemClock } from '@app/ledger';
import { LedgerCore, type Principal } from '@app/application';
import { type BenchCommand, readingRoomSetup } from './bench-kit';

const BATCH = 500;
const ITEMS = Array.from({ length: 1_000 }, (_, i) => `doc-${i}`);
const READERS = Array.from({ length: 20 }, (_, i) => `p-r${i}`);
const principal: Principal = { personId: 'p-admin', name: 'admin', roles: ['admin', 'registrar', 'custodian'] };

const check = (results: { ok: boolean; error?: unknown }[]): void => {
  const failed = results.find((r) => !r.ok);
  if (failed) throw failed.error instanceof Error ? failed.error : new Error(String(failed.error));
};

async function main(): Promise<void> {
  const batches = Number(process.env.BENCH_CORE_BATCHES ?? 20);
  const dir = fs.mkdtempSync(path.join(process.env.BENCH_CORE_DIR ?? os.tmpdir(), 'batch-core-'));
  const core = await LedgerCore.open({ dataDir: dir, clock: new SystemClock() });
  try {
    const setup = readingRoomSetup(READERS, ITEMS);
    check(await core.executeBatch(setup, principal));
    let sent = 0;
    const batch = (): BenchCommand[] =>
      Array.from({ length: BATCH }, () => {
        const i = sent++;
        return {
          name: 'RecordReading',
          body: { data: { itemId: ITEMS[i % 1_000], reader: READERS[i % 20], placeId: 'room-1' } },
        };
      });
    // Warm-up: the JIT, the caches and the read models' statements, as a running service has them.
    for (let b = 0; b < 4; b++) check(await core.executeBatch(batch(), principal));
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (let b = 0; b < batches; b++) check(await core.executeBatch(batch(), principal));
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const used = process.cpuUsage(cpu);
    const facts = batches * BATCH;
    process.stdout.write(JSON.stringify({ facts, wallMs, cpuUsPerFact: (used.user + used.system) / facts }) + '\n');
  } finally {
    await core.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
