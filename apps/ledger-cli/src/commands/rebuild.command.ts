import * as os from 'node:os';
import type { Command } from 'commander';
import { SystemClock } from '@app/ledger';
import { LedgerCore, StoreRolledBack, rebuildReadModels } from '@app/application';
import { progressBar } from '../progress';
import { EXIT, dataDirOption, jsonOption, type CliContext } from '../cli-context';

/** Who accepts a rollback: the operating-system user running the CLI (the CLI has no API key). */
const operator = (): string => {
  try {
    return `operator:${os.userInfo().username}`;
  } catch {
    return 'operator:unknown';
  }
};

/**
 * `rebuild [--accept-rollback [--note TEXT]]`: drop the read models and replay the whole store into them. Exit 1,
 * leaving the read models as they are (they are the evidence), when the store is behind what they applied and the
 * rollback was not accepted (contract §4.1); with --accept-rollback the acceptance is recorded in the store first.
 */
export const rebuildCommand = (program: Command, ctx: CliContext): void => {
  program
    .command('rebuild')
    .summary('drop the read models and replay the store into them')
    .description(
      'drop the read models and replay the whole store into them; refused (exit 1) on a store behind what they ' +
        'applied (a restored backup, a cut tail: STORE_ROLLED_BACK) unless --accept-rollback, which records the ' +
        'acceptance (positions, hashes, who, --note) in the store (stream ledger-rollbacks) first',
    )
    .option('--accept-rollback', 'the store was restored on purpose: accept that it is behind the read models')
    .option('--note <text>', 'why the rollback is accepted (recorded with it)')
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .action(
      ctx.run(async (opts: { json?: boolean; dataDir?: string; acceptRollback?: boolean; note?: string }) => {
        const { eventstoreUrl } = ctx.config();
        // No catch-up at open: the rebuild replays the whole store itself (once, not twice).
        const core = await LedgerCore.open({
          dataDir: ctx.dataDir(opts),
          eventstoreUrl,
          clock: new SystemClock(),
          catchUpAtOpen: false,
        });
        try {
          const bar = opts.json ? undefined : progressBar('rebuild', await core.store.headPosition());
          // The final report: how many events were replayed and how fast (events counted as each batch commits).
          let replayed = 0;
          const stopCounting = core.readModels.runner.onCommitted((events) => (replayed += events.length));
          const started = process.hrtime.bigint();
          let outcome;
          try {
            outcome = await rebuildReadModels(core, {
              acceptRollback: opts.acceptRollback,
              actor: operator(),
              note: opts.note,
              onProgress: (p) => bar?.update(p),
            });
          } catch (e) {
            if (!(e instanceof StoreRolledBack)) throw e;
            bar?.done();
            if (opts.json) console.log(JSON.stringify({ ok: false, code: e.code, rollback: e.rollback }, null, 2));
            else
              console.error(
                `refused: STORE_ROLLED_BACK (${e.rollback.reason}): ${e.rollback.detail}\n` +
                  'If this store is a backup restored on purpose, say so: rebuild --accept-rollback [--note "why"] (recorded in the store).',
              );
            return EXIT.failed;
          }
          bar?.done();
          stopCounting();
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const out = {
            ok: true,
            ...outcome,
            events: replayed,
            seconds: Math.round(seconds * 1000) / 1000,
            eventsPerSecond: seconds > 0 ? Math.round(replayed / seconds) : null,
            failures: core.readModels.runner.failures,
          };
          if (opts.json) console.log(JSON.stringify(out, null, 2));
          else {
            const accepted = outcome.acceptedRollback;
            if (accepted)
              console.log(
                `accepted the rollback (${accepted.reason}): ${accepted.detail}; recorded as ${outcome.acceptanceEvent?.streamId}#${outcome.acceptanceEvent?.revision} by ${accepted.acceptedBy}`,
              );
            console.log(
              `rebuilt read models up to position ${out.position}: ${replayed} events in ${out.seconds} s` +
                (out.eventsPerSecond === null ? '' : ` (${out.eventsPerSecond} events/s)`) +
                (out.failures.length ? `; ${out.failures.length} projection failures (see --json)` : ''),
            );
          }
          return EXIT.ok;
        } finally {
          await core.close();
        }
      }),
    );
};
