import * as fs from 'node:fs';
import type { Command } from 'commander';
import { SystemClock } from '@app/ledger';
import {
  LedgerCore,
  CheckpointService,
  describeFailure,
  verifyBundle,
  exportBundle,
  type ServiceConfig,
} from '@app/application';
import { progressBar } from '../progress';
import { witnessArgs } from '../verify/verify.command';
import { checkBundleTrustedState, loadPinned } from './bundle-trusted-state';
import { EXIT, dataDirOption, jsonOption, parseWhole, type CliContext } from '../cli-context';

interface Args {
  positional: string[];
  flags: Record<string, string | boolean>;
  /** `--witness NAME=KEY`, repeated. */
  witnesses?: string[];
}

/** `export ITEM --out FILE`: writes the item's bundle (signing a checkpoint when the latest does not cover it). */
export const exportCommand = async (
  a: Args,
  dataDir: string,
  config: Pick<ServiceConfig, 'eventstoreUrl' | 'signingKeyFile'> = {},
): Promise<number> => {
  const itemId = a.positional[0];
  const out = a.flags.out;
  if (!itemId || typeof out !== 'string') {
    console.error('usage: custody-ledger export ITEM --out FILE [--json]');
    return EXIT.usage;
  }
  const core = await LedgerCore.open({ dataDir, eventstoreUrl: config.eventstoreUrl, clock: new SystemClock() });
  try {
    let bar: ReturnType<typeof progressBar> | undefined;
    const proveFrom = typeof a.flags['prove-from'] === 'string' ? [Number(a.flags['prove-from'])] : [];
    const bundle = await exportBundle(
      core,
      CheckpointService.forCore(core, { signingKeyFile: config.signingKeyFile }),
      itemId,
      (n, total) => {
        if (!a.flags.json) (bar ??= progressBar('proofs', total)).update(n);
      },
      { proveFrom },
    );
    bar?.done();
    fs.writeFileSync(out, JSON.stringify(bundle, null, 2) + '\n');
    const events = bundle.streams.reduce((n, s) => n + s.events.length, 0);
    const summary = {
      ok: true,
      out,
      itemId,
      items: bundle.items,
      events,
      treeSize: bundle.checkpoint.treeSize,
      rootHash: bundle.checkpoint.rootHash,
      keyId: bundle.keyId,
    };
    console.log(
      a.flags.json
        ? JSON.stringify(summary)
        : `exported ${events} events of ${bundle.items.join(', ')} to ${out}, proven against checkpoint ${bundle.checkpoint.treeSize} (key ${bundle.keyId})`,
    );
    return 0;
  } finally {
    await core.close();
  }
};

/** `verify-bundle FILE --public-key FILE`: offline; exit 0 when everything checks, 1 naming each failure. */
export const verifyBundleCommand = (a: Args): number => {
  const file = a.positional[0];
  const keyFile = a.flags['public-key'];
  if (!file || typeof keyFile !== 'string') {
    console.error('usage: custody-ledger verify-bundle FILE --public-key FILE [--json]');
    return EXIT.usage;
  }
  let bundle: unknown;
  try {
    bundle = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`cannot read ${file} as JSON: ${(e as Error).message}`);
    return 1;
  }
  const stateFile = typeof a.flags['trusted-state'] === 'string' ? a.flags['trusted-state'] : undefined;
  const loaded = stateFile ? loadPinned(stateFile) : undefined;
  if (loaded && 'error' in loaded) {
    console.error(loaded.error);
    return EXIT.usage;
  }
  const named = witnessArgs(a.witnesses, typeof a.flags.quorum === 'string' ? a.flags.quorum : undefined);
  if (typeof named === 'string') {
    console.error(named);
    return EXIT.usage;
  }
  let bar: ReturnType<typeof progressBar> | undefined;
  const result = verifyBundle(
    bundle,
    fs.readFileSync(keyFile, 'utf8'),
    (n, total) => {
      if (!a.flags.json) (bar ??= progressBar('verify', total)).update(n);
    },
    named,
  );
  bar?.done();
  const trusted =
    stateFile && loaded
      ? checkBundleTrustedState({
          file: stateFile,
          pinned: loaded.pinned,
          bundle,
          result,
          consistencyProofFile:
            typeof a.flags['consistency-proof'] === 'string' ? a.flags['consistency-proof'] : undefined,
        })
      : undefined;
  const trustedOk = !trusted || (trusted.finding?.ok ?? false);
  if (trusted?.finding && !trusted.finding.ok)
    console.error(`FAILED trusted state ${trusted.file}: ${trusted.finding.status}: ${trusted.finding.detail}`);
  if (a.flags.json)
    console.log(
      JSON.stringify(
        {
          ...result,
          ok: result.ok && trustedOk,
          ...(trusted ? { trustedState: { file: trusted.file, recorded: trusted.recorded, ...trusted.finding } } : {}),
        },
        null,
        2,
      ),
    );
  else if (result.ok && trusted?.finding)
    console.log(`trusted state ${trusted.file}: ${trusted.finding.status}: ${trusted.finding.detail}`);
  if (a.flags.json) return result.ok && trustedOk ? EXIT.ok : EXIT.failed;
  if (result.ok)
    console.log(
      `ok: ${result.events} events in ${result.streams} streams of ${result.itemId} are intact and included in the checkpoint of ${result.treeSize} events signed by key ${result.keyId}`,
    );
  else {
    console.log(`FAILED: ${result.failures.length} check(s) failed`);
    for (const f of result.failures) console.log(`  ${describeFailure(f)}`);
  }
  return result.ok && trustedOk ? EXIT.ok : EXIT.failed;
};

/** The definitions of `export` and `verify-bundle` (their handlers above are also called by test/integrity). */
export const bundleCommands = (program: Command, ctx: CliContext): void => {
  program
    .command('export')
    .summary("write an item's events with inclusion proofs and a signed checkpoint")
    .description(
      "write the item's (and its copies') events with chain links and inclusion proofs against one signed " +
        'checkpoint (signing one if the latest does not cover them)',
    )
    .argument('<item>', 'the item id')
    .requiredOption('--out <file>', 'where to write the bundle (JSON)')
    .option(
      '--prove-from <size>',
      "add the consistency proof from this tree size (an auditor's pinned treeSize) to the bundle's checkpoint",
      parseWhole(0, Number.MAX_SAFE_INTEGER),
    )
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .action(
      ctx.run((itemId: string, opts: { out: string; json?: boolean; dataDir?: string; proveFrom?: number }) =>
        exportCommand(
          {
            positional: [itemId],
            flags: {
              out: opts.out,
              json: Boolean(opts.json),
              ...(opts.proveFrom !== undefined ? { 'prove-from': String(opts.proveFrom) } : {}),
            },
          },
          ctx.dataDir(opts),
          ctx.config(),
        ),
      ),
    );
  program
    .command('verify-bundle')
    .summary('check an exported bundle offline')
    .description('check a bundle offline (no store, no network): hashes, links, proofs, signature; exit 1 on a failure')
    .argument('<file>', 'the bundle (JSON)')
    .requiredOption('--public-key <file>', "the checkpoint key's public PEM")
    .option(
      '--trusted-state <file>',
      "the auditor's file: the bundle's checkpoint must extend the pinned one (rolled-back or fork otherwise); " +
        'advanced only when everything verifies',
    )
    .option(
      '--consistency-proof <file>',
      "a consistency proof from the pinned size to the bundle's (the JSON of GET /api/ledger/consistency?from=…&to=…)",
    )
    .option(
      '--witness <name=keyfile>',
      "a witness whose cosignature the bundle's checkpoint must carry (vkey or SPKI PEM, in a file or inline); repeat",
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--quorum <n>', 'how many of the --witness must have co-signed (default: all)')
    .addOption(jsonOption())
    .action(
      ctx.run(
        (
          file: string,
          opts: {
            publicKey: string;
            json?: boolean;
            trustedState?: string;
            consistencyProof?: string;
            witness: string[];
            quorum?: string;
          },
        ) =>
          verifyBundleCommand({
            positional: [file],
            witnesses: opts.witness,
            flags: {
              'public-key': opts.publicKey,
              json: Boolean(opts.json),
              ...(opts.trustedState ? { 'trusted-state': opts.trustedState } : {}),
              ...(opts.consistencyProof ? { 'consistency-proof': opts.consistencyProof } : {}),
              ...(opts.quorum ? { quorum: opts.quorum } : {}),
            },
          }),
      ),
    );
};
