import * as fs from 'node:fs';
import * as path from 'node:path';
import { SystemClock } from '@app/ledger/clock/clock';
import { LedgerCore, openStore } from '../../ledger-api/src/core/ledger-core';
import { verifyLedger } from '../../ledger-api/src/core/verify-ledger';
import { formatReport, runScenario, type Scenario } from './scenario/scenario-runner';
import { readHistory } from '../../ledger-api/src/core/history';
import { progressBar } from './progress';

const HELP = `custody-ledger CLI

usage: npm run cli -- COMMAND [options]

commands:
  scenario FILE…          run acceptance scenarios (DESIGN §7) on a fresh embedded store; exit 1 if any fails
  history ITEM [--as-of T] [--copies]   print an item's custody history (with its copies)
  verify                  check every stream's hash chain; names the first event that does not match
  rebuild                 drop the read models and replay the whole store into them
  help                    this text

options:
  --json                  machine-readable output
  --data-dir DIR          the service's data directory (default: $DATA_DIR or ./data)

environment: DATA_DIR, EVENTSTORE_URL (as for the service)`;

interface Args { positional: string[]; flags: Record<string, string | boolean> }

const parseArgs = (argv: string[]): Args => {
  const positional: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2);
      if (v !== undefined) flags[k] = v;
      else if (['as-of', 'data-dir', 'out', 'public-key', 'occurred-before'].includes(k)) flags[k] = argv[++i];
      else flags[k] = true;
    } else positional.push(a);
  }
  return { positional, flags };
};

const dataDirOf = (a: Args): string => String(a.flags['data-dir'] ?? process.env.DATA_DIR ?? './data');

const commands: Record<string, (a: Args) => Promise<number>> = {
  async scenario(a) {
    const files = a.positional;
    if (files.length === 0) {
      console.error('usage: npm run scenario -- FILE…');
      return 2;
    }
    let failed = 0;
    const reports = [];
    for (const file of files) {
      const scenario = JSON.parse(fs.readFileSync(file, 'utf8')) as Scenario;
      const report = await runScenario(scenario, { file: path.basename(file) });
      reports.push(report);
      if (!report.ok) failed++;
      if (!a.flags.json) console.log(formatReport(report));
    }
    if (a.flags.json) console.log(JSON.stringify(reports, null, 2));
    else console.log(`\n${files.length - failed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  },
  async verify(a) {
    const store = await openStore({ dataDir: dataDirOf(a), eventstoreUrl: process.env.EVENTSTORE_URL });
    const bar = a.flags.json ? undefined : progressBar('verify', await store.headPosition());
    const result = await verifyLedger(store, (n) => bar?.update(n));
    bar?.done();
    await store.close();
    if (a.flags.json) console.log(JSON.stringify(result, null, 2));
    else if (result.ok) console.log(`ok: ${result.eventsChecked} events in ${result.streams} streams verify`);
    else console.log(`FAILED at ${JSON.stringify(result.firstFailure)}`);
    return result.ok ? 0 : 1;
  },
  async rebuild(a) {
    const core = await LedgerCore.open({ dataDir: dataDirOf(a), eventstoreUrl: process.env.EVENTSTORE_URL, clock: new SystemClock() });
    const head = await core.store.headPosition();
    const bar = a.flags.json ? undefined : progressBar('rebuild', head);
    await core.readModels.runner.rebuild((p) => bar?.update(p));
    bar?.done();
    const out = { ok: true, position: core.readModels.runner.checkpoint ?? null, failures: core.readModels.runner.failures };
    await core.close();
    console.log(a.flags.json ? JSON.stringify(out) : `rebuilt read models up to position ${out.position}`);
    return 0;
  },
  async history(a) {
    const itemId = a.positional[0];
    if (!itemId) {
      console.error('usage: npm run cli -- history ITEM [--as-of T] [--copies]');
      return 2;
    }
    const core = await LedgerCore.open({ dataDir: dataDirOf(a), eventstoreUrl: process.env.EVENTSTORE_URL, clock: new SystemClock() });
    try {
      const h = await readHistory(core, itemId, { asOf: a.flags['as-of'] as string | undefined, copies: Boolean(a.flags.copies) });
      if (!h) {
        console.error(`no item ${itemId}`);
        return 1;
      }
      if (a.flags.json) console.log(JSON.stringify(h, null, 2));
      else {
        for (const e of h.events) console.log(`${e.occurredAt}  ${e.streamId.padEnd(18)} #${String(e.revision).padStart(3)}  ${e.type.padEnd(22)} by ${e.actor}  (recorded ${e.recordedAt})`);
        console.log(`${h.events.length} events; now ${h.state?.status ?? '?'} held by ${h.state?.custodian ?? 'nobody'}`);
      }
      return 0;
    } finally {
      await core.close();
    }
  },
  async help() {
    console.log(HELP);
    return 0;
  },
};

const main = async (): Promise<void> => {
  const [name = 'help', ...rest] = process.argv.slice(2);
  const args = parseArgs(rest);
  const run = commands[name === '--help' || name === '-h' ? 'help' : name];
  if (!run) {
    console.error(`unknown command ${name}\n\n${HELP}`);
    process.exit(2);
  }
  if (args.flags.help) {
    console.log(HELP);
    return;
  }
  process.exitCode = await run(args);
};

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
