import type { Command } from 'commander';
import { SystemClock } from '@app/ledger';
import { LedgerCore, formatHistory, historyText, readHistory, translate } from '@app/application';
import { EXIT, dataDirOption, jsonOption, parseInstant, type CliContext } from '../cli-context';

interface HistoryOptions {
  asOf?: string;
  occurredBefore?: string;
  copies?: boolean;
  json?: boolean;
  dataDir?: string;
}

/** `history ITEM`: an item's history, as the ledger knew it or as the world was at an instant. */
export const historyCommand = (program: Command, ctx: CliContext): void => {
  program
    .command('history')
    .summary("an item's history, as known or as it happened at an instant")
    .description(
      "an item's history (with its copies): as the ledger knew it at T (--as-of) or as the world was at T " +
        '(--occurred-before), with the state and readers at that instant; exit 1 when there is no such item',
    )
    .argument('<item>', 'the item id')
    .option('--as-of <time>', 'what the ledger knew at this instant (ISO-8601)', parseInstant)
    .option('--occurred-before <time>', 'what had happened in the world by this instant (ISO-8601)', parseInstant)
    .option('--copies', "include the item's copies")
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .action(
      ctx.run(async (itemId: string, opts: HistoryOptions, command: Command) => {
        const lang = ctx.lang(command.optsWithGlobals());
        const { eventstoreUrl } = ctx.config();
        const core = await LedgerCore.open({ dataDir: ctx.dataDir(opts), eventstoreUrl, clock: new SystemClock() });
        try {
          const h = await readHistory(core, itemId, {
            asOf: opts.asOf,
            occurredBefore: opts.occurredBefore,
            copies: Boolean(opts.copies),
          });
          if (!h) {
            console.error(translate(lang, 'cli.noItem', { itemId }));
            return EXIT.failed;
          }
          const names = {
            personName: (id: string) => core.readModels.custody.person(id)?.name ?? null,
            place: (id: string) => core.readModels.custody.place(id),
          };
          // English keeps the v1 layout (scripts read it); other languages read as the catalogue writes them.
          console.log(
            opts.json ? JSON.stringify(h, null, 2) : lang === 'en' ? formatHistory(h) : historyText(lang, h, names),
          );
          return EXIT.ok;
        } finally {
          await core.close();
        }
      }),
    );
};
