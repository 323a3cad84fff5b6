import { Option, type Command } from 'commander';
import { labelOf, translate, type Lang } from '@app/application';
import { progressBar } from '../progress';
import { EXIT, dataDirOption, jsonOption, parseWhole, type CliContext } from '../cli-context';
import { runDemo, StoreNotEmpty } from './demo';

interface DemoOptions {
  force?: boolean;
  items?: number;
  days?: number;
  json?: boolean;
}

/** `demo`: returns the exit code. */
export const demoCommand = async (
  opts: DemoOptions,
  dataDir: string,
  eventstoreUrl?: string,
  lang: Lang = 'en',
): Promise<number> => {
  if (eventstoreUrl) {
    console.error('demo loads the embedded store only; unset EVENTSTORE_URL');
    return EXIT.usage;
  }
  const flags = opts;
  const progress = flags.json ? undefined : progressBar('demo', undefined);
  try {
    const summary = await runDemo({
      dataDir,
      force: Boolean(flags.force),
      items: flags.items,
      days: flags.days,
      onProgress: (done, total) => progress?.update(done, total),
    });
    progress?.done();
    if (flags.json) console.log(JSON.stringify(summary, null, 2));
    else {
      const t = (key: Parameters<typeof translate>[1], vars: Record<string, string | number>) =>
        console.log(translate(lang, key, vars));
      t('cli.demo.loaded', { events: summary.events, commands: summary.commands, dataDir: summary.dataDir });
      t('cli.demo.population', {
        persons: summary.persons,
        places: summary.places,
        items: summary.items,
        copies: summary.copies,
      });
      t('cli.demo.violations', {
        violations: summary.violations,
        bySeverity: Object.entries(summary.violationsBySeverity)
          .map(([k, v]) => `${lang === 'en' ? k : labelOf(lang, 'severities', k)} ${v}`)
          .join(', '),
      });
      t('cli.demo.incidents', {
        incidents: summary.incidents,
        reported: summary.incidentsReported,
        overdue: summary.incidentsOverdue,
      });
      t('cli.demo.clock', { clock: summary.clock, verified: String(summary.verified) });
    }
    return summary.verified ? EXIT.ok : EXIT.failed;
  } catch (e) {
    progress?.done();
    if (e instanceof StoreNotEmpty) {
      if (flags.json) console.log(JSON.stringify({ ok: false, error: e.message }));
      else console.error(e.message);
      return EXIT.failed;
    }
    throw e;
  }
};

export const demoDefinition = (program: Command, ctx: CliContext): void => {
  program
    .command('demo')
    .summary('load a realistic data set into an empty DATA_DIR')
    .description(
      'load a realistic data set into an empty DATA_DIR through the same command path the API uses, with a manual ' +
        'clock moving forward over weeks: ~45 people, 16 places, N received items and their copies, loans, readings ' +
        'in and out of scope, carry-outs, an inventory that misses an item, destructions, incidents (some overdue); ' +
        'deterministic',
    )
    .option('--force', "remove the embedded store's files first when DATA_DIR is not empty")
    .addOption(new Option('--items <n>', 'received items').argParser(parseWhole(1, 100_000)).default(300))
    .addOption(new Option('--days <n>', 'days the clock moves over').argParser(parseWhole(1, 3650)).default(42))
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .action(
      ctx.run((opts: DemoOptions & { dataDir?: string }, command: Command) =>
        demoCommand(opts, ctx.dataDir(opts), ctx.config().eventstoreUrl, ctx.lang(command.optsWithGlobals())),
      ),
    );
};
