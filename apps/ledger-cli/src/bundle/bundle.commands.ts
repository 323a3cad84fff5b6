import * as fs from 'node:fs';
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
    console.error('usage: npm run cli -- export ITEM --out FILE [--json]');
    return 2;
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
    console.error('usage: npm run cli -- verify-bundle FILE --public-key FILE [--json]');
    return 2;
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
