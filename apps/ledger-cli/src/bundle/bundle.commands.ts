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
import { EXIT, dataDirOption, jsonOption, type CliContext } from '../cli-context';

interface Args {
  positional: string[];
  flags: Record<string, string | boolean>;
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
    const bundle = await exportBundle(
      core,
      CheckpointService.forCore(core, { signingKeyFile: config.signingKeyFile }),
      itemId,
      (n, total) => {
        if (!a.flags.json) (bar ??= progressBar('proofs', total)).update(n);
      },
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
export const verifyBundleCommand = async (a: Args): Promise<number> => {
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
  let bar: ReturnType<typeof progressBar> | undefined;
  const result = verifyBundle(bundle, fs.readFileSync(keyFile, 'utf8'), (n, total) => {
    if (!a.flags.json) (bar ??= progressBar('verify', total)).update(n);
  });
  bar?.done();
  if (a.flags.json) console.log(JSON.stringify(result, null, 2));
  else if (result.ok)
    console.log(
      `ok: ${result.events} events in ${result.streams} streams of ${result.itemId} are intact and included in the checkpoint of ${result.treeSize} events signed by key ${result.keyId}`,
    );
  else {
    console.log(`FAILED: ${result.failures.length} check(s) failed`);
    for (const f of result.failures) console.log(`  ${describeFailure(f)}`);
  }
  return result.ok ? 0 : 1;
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
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .action(
      ctx.run((itemId: string, opts: { out: string; json?: boolean; dataDir?: string }) =>
        exportCommand(
          { positional: [itemId], flags: { out: opts.out, json: Boolean(opts.json) } },
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
    .addOption(jsonOption())
    .action(
      ctx.run((file: string, opts: { publicKey: string; json?: boolean }) =>
        verifyBundleCommand({ positional: [file], flags: { 'public-key': opts.publicKey, json: Boolean(opts.json) } }),
      ),
    );
};
