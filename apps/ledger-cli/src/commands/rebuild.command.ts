import type { Command } from 'commander';
import { SystemClock } from '@app/ledger';
import { LedgerCore } from '@app/application';
import { progressBar } from '../progress';
import { EXIT, dataDirOption, jsonOption, type CliContext } from '../cli-context';

/** `rebuild`: drop the read models and replay the whole store into them. */
export const rebuildCommand = (program: Command, ctx: CliContext): void => {
  program
    .command('rebuild')
    .summary('drop the read models and replay the store into them')
    .description('drop the read models and replay the whole store into them')
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .action(
      ctx.run(async (opts: { json?: boolean; dataDir?: string }) => {
        const { eventstoreUrl } = ctx.config();
        const core = await LedgerCore.open({ dataDir: ctx.dataDir(opts), eventstoreUrl, clock: new SystemClock() });
        try {
          const bar = opts.json ? undefined : progressBar('rebuild', await core.store.headPosition());
          await core.readModels.runner.rebuild((p) => bar?.update(p));
          bar?.done();
          const out = {
            ok: true,
            position: core.readModels.runner.checkpoint ?? null,
            failures: core.readModels.runner.failures,
          };
          console.log(opts.json ? JSON.stringify(out) : `rebuilt read models up to position ${out.position}`);
          return EXIT.ok;
        } finally {
          await core.close();
        }
      }),
    );
};
