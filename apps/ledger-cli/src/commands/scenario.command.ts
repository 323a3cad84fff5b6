import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { translate } from '@app/application';
import { formatReport, runScenario, type Scenario } from '../scenario/scenario-runner';
import { EXIT, jsonOption, type CliContext } from '../cli-context';

/** `scenario FILE…`: acceptance scenarios on a fresh embedded store each; exit 1 if any fails. */
export const scenarioCommand = (program: Command, ctx: CliContext): void => {
  program
    .command('scenario')
    .summary('run acceptance scenarios; exit 1 if any fails')
    .description('run acceptance scenarios (contract §7) on a fresh embedded store each; exit 1 if any fails')
    .argument('<file...>', 'scenario files (JSON)')
    .addOption(jsonOption())
    .action(
      ctx.run(async (files: string[], opts: { json?: boolean }, command: Command) => {
        const lang = ctx.lang(command.optsWithGlobals());
        let failed = 0;
        const reports = [];
        for (const file of files) {
          const scenario = JSON.parse(fs.readFileSync(file, 'utf8')) as Scenario;
          const report = await runScenario(scenario, { file: path.basename(file) });
          reports.push(report);
          if (!report.ok) failed++;
          if (!opts.json) console.log(formatReport(report));
        }
        if (opts.json) console.log(JSON.stringify(reports, null, 2));
        else console.log(`\n${translate(lang, 'cli.scenarioTotal', { passed: files.length - failed, failed })}`);
        return failed === 0 ? EXIT.ok : EXIT.failed;
      }),
    );
};
