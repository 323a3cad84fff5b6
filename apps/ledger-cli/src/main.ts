import * as fs from 'node:fs';
import * as path from 'node:path';
import { SystemClock } from '@app/ledger';
import { ConfigError, LedgerCore, loadConfig, formatHistory, readHistory, type ServiceConfig } from '@app/application';
import { formatReport, runScenario, type Scenario } from './scenario/scenario-runner';
import { progressBar } from './progress';
import { DEMO_USAGE, demoCommand } from './demo/demo.command';
import { exportCommand, verifyBundleCommand } from './bundle/bundle.commands';
import { verifyCommand } from './verify/verify.command';
import { WITNESS_USAGE, witnessServeCommand } from './witness/witness.command';

const HELP = `custody-ledger CLI

usage: npm run cli -- COMMAND [options]

commands:
  scenario FILE…          run acceptance scenarios (DESIGN §7) on a fresh embedded store; exit 1 if any fails
  history ITEM [--as-of T] [--occurred-before T] [--copies]
                          an item's history (with its copies): as the ledger knew it at T (--as-of) or as the
                          world was at T (--occurred-before); with the state and readers at that instant
  verify [--public-key F] [--trusted-state F]
                          check every hash chain, the Merkle tree against every signed checkpoint, signatures
                          and consistency; names the first event that does not match; with --trusted-state, the
                          latest checkpoint must extend the one pinned in F (rolled-back / fork otherwise)
  rebuild                 drop the read models and replay the whole store into them
  export ITEM --out FILE   write the item's (and its copies') events with chain links and inclusion proofs
                          against one signed checkpoint (signs one if needed)
  verify-bundle FILE --public-key FILE   check a bundle offline: hashes, links, proofs, signature
  witness serve --key F --state F --port N --log ORIGIN=PUBKEY…
                          run a C2SP tlog-witness that co-signs only consistent checkpoints
  demo [--force] [--items N]   load a realistic data set (hundreds of items, violations, incidents) into DATA_DIR
  help                    this text; COMMAND --help for one command

options:
  --json                  machine-readable output
  --data-dir DIR          the service's data directory (default: $DATA_DIR or ./data)

environment: DATA_DIR, EVENTSTORE_URL (as for the service)`;

interface Args {
  positional: string[];
  flags: Record<string, string | boolean>;
  /** Repeatable flags (--log, --witness), every value in order. */
  lists: Record<string, string[]>;
}

const REPEATABLE = ['log', 'witness'];

const parseArgs = (argv: string[]): Args => {
  const positional: string[] = [];
  const flags: Record<string, string | boolean> = {};
  const lists: Record<string, string[]> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--') && REPEATABLE.includes(a.slice(2))) {
      // The value itself holds '=' (ORIGIN=FILE, NAME=KEYFILE): always the next argument.
      (lists[a.slice(2)] ??= []).push(argv[++i]);
    } else if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2);
      if (v !== undefined) flags[k] = v;
      else if (
        [
          'as-of',
          'data-dir',
          'out',
          'public-key',
          'trusted-state',
          'occurred-before',
          'items',
          'days',
          'key',
          'state',
          'port',
          'name',
          'host',
          'quorum',
          'new-key',
        ].includes(k)
      )
        flags[k] = argv[++i];
      else flags[k] = true;
    } else positional.push(a);
  }
  return { positional, flags, lists };
};

// The CLI reads the same validated configuration as the service (DATA_DIR, EVENTSTORE_URL, LEDGER_SIGNING_KEY_FILE).
let loaded: ServiceConfig | undefined;
const config = (): ServiceConfig => (loaded ??= loadConfig(process.env));
const dataDirOf = (a: Args): string => String(a.flags['data-dir'] ?? config().dataDir);

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
  verify: (a) =>
    verifyCommand({
      dataDir: dataDirOf(a),
      eventstoreUrl: config().eventstoreUrl,
      publicKey: typeof a.flags['public-key'] === 'string' ? a.flags['public-key'] : undefined,
      trustedState: typeof a.flags['trusted-state'] === 'string' ? a.flags['trusted-state'] : undefined,
      json: Boolean(a.flags.json),
    }),
  async rebuild(a) {
    const core = await LedgerCore.open({
      dataDir: dataDirOf(a),
      eventstoreUrl: config().eventstoreUrl,
      clock: new SystemClock(),
    });
    const head = await core.store.headPosition();
    const bar = a.flags.json ? undefined : progressBar('rebuild', head);
    await core.readModels.runner.rebuild((p) => bar?.update(p));
    bar?.done();
    const out = {
      ok: true,
      position: core.readModels.runner.checkpoint ?? null,
      failures: core.readModels.runner.failures,
    };
    await core.close();
    console.log(a.flags.json ? JSON.stringify(out) : `rebuilt read models up to position ${out.position}`);
    return 0;
  },
  async history(a) {
    const itemId = a.positional[0];
    if (!itemId) {
      console.error('usage: npm run cli -- history ITEM [--as-of T] [--occurred-before T] [--copies]');
      return 2;
    }
    const instants: Record<string, string | undefined> = {};
    for (const flag of ['as-of', 'occurred-before']) {
      const v = a.flags[flag];
      if (v === undefined) continue;
      if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) {
        console.error(`--${flag} must be an ISO-8601 date-time`);
        return 2;
      }
      instants[flag] = new Date(v).toISOString();
    }
    const core = await LedgerCore.open({
      dataDir: dataDirOf(a),
      eventstoreUrl: config().eventstoreUrl,
      clock: new SystemClock(),
    });
    try {
      const h = await readHistory(core, itemId, {
        asOf: instants['as-of'],
        occurredBefore: instants['occurred-before'],
        copies: Boolean(a.flags.copies),
      });
      if (!h) {
        console.error(`no item ${itemId}`);
        return 1;
      }
      if (a.flags.json) console.log(JSON.stringify(h, null, 2));
      else console.log(formatHistory(h));
      return 0;
    } finally {
      await core.close();
    }
  },
  export: (a) => exportCommand(a, dataDirOf(a), config()),
  'verify-bundle': (a) => verifyBundleCommand(a),
  async demo(a) {
    return demoCommand(a.flags, dataDirOf(a), config().eventstoreUrl);
  },
  async witness(a) {
    if (a.positional[0] !== 'serve') {
      console.error(WITNESS_USAGE);
      return 2;
    }
    const str = (k: string) => (typeof a.flags[k] === 'string' ? (a.flags[k] as string) : undefined);
    return witnessServeCommand({
      key: str('key'),
      state: str('state'),
      port: str('port'),
      logs: a.lists.log ?? [],
      name: str('name'),
      host: str('host'),
    });
  },
  async help() {
    console.log(HELP);
    return 0;
  },
};

/** `COMMAND --help`: one command's usage. */
const COMMAND_USAGE: Record<string, string> = {
  scenario:
    'usage: npm run cli -- scenario FILE… [--json]\n\nRuns acceptance scenarios (DESIGN §7) on a fresh embedded store; exit 1 if any fails.',
  history:
    "usage: npm run cli -- history ITEM [--as-of T] [--occurred-before T] [--copies] [--json] [--data-dir DIR]\n\nAn item's history with its copies, as the ledger knew it (--as-of) or as the world was (--occurred-before).",
  verify:
    "usage: npm run cli -- verify [--public-key FILE] [--trusted-state FILE] [--json] [--data-dir DIR]\n\nChecks every hash chain, the Merkle tree and the signed checkpoints; names the first event that does not match.\n--public-key FILE   a copy of the checkpoint key you keep (without it the data directory's key is trusted, and said so)\n--trusted-state FILE   the auditor's file: the first run pins the latest verified checkpoint; later runs fail with\n                       rolled-back or fork unless the ledger extends it; it is advanced only when everything verifies",
  rebuild:
    'usage: npm run cli -- rebuild [--json] [--data-dir DIR]\n\nDrops the read models and replays the whole store into them.',
  export:
    "usage: npm run cli -- export ITEM --out FILE [--json] [--data-dir DIR]\n\nWrites the item's and its copies' events with chain links and inclusion proofs against a signed checkpoint.",
  'verify-bundle':
    'usage: npm run cli -- verify-bundle FILE --public-key FILE [--json]\n\nChecks a bundle offline: hashes, links, proofs, signature.',
  demo: DEMO_USAGE,
  witness: WITNESS_USAGE,
  help: HELP,
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
    console.log(COMMAND_USAGE[name] ?? HELP);
    return;
  }
  process.exitCode = await run(args);
};

main().catch((e) => {
  if (e instanceof ConfigError) {
    console.error(`custody-ledger: ${e.message}`);
    process.exit(2);
  }
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
