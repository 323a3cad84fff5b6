import { Command } from 'commander';
import { langOption, type CliContext } from './cli-context';
import { scenarioCommand } from './commands/scenario.command';
import { historyCommand } from './commands/history.command';
import { verifyDefinition } from './verify/verify.command';
import { rebuildCommand } from './commands/rebuild.command';
import { bundleCommands } from './bundle/bundle.commands';
import { demoDefinition } from './demo/demo.command';
import { witnessDefinition } from './witness/witness.command';
import { completionCommand } from './completion/completion.command';
import { rotateKeyCommandDefinition } from './commands/rotate-key.command';

const EPILOG = `
Environment: DATA_DIR, EVENTSTORE_URL, LEDGER_SIGNING_KEY_FILE (as for the service; see .env.example).
Exit codes: 0 ok; 1 a check failed (verify, verify-bundle, a scenario) or the item is not there;
            2 usage: unknown command or option, missing or malformed argument, bad environment variable.`;

/**
 * The CLI: one commander definition per command (in commands/, verify/, bundle/, witness/, demo/, completion/), which is where
 * `--help`, option parsing and completion all come from. Unknown options and excess arguments are errors.
 * To add a command: a file with `xCommand(program, ctx)` beside the others and one line below.
 */
export const buildProgram = (ctx: CliContext): Command => {
  const program = new Command('custody-ledger')
    .description('custody-ledger: the tamper-evident audit ledger from the command line')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', EPILOG)
    .addOption(langOption())
    // Errors become CommanderErrors that main.ts maps to exit code 2 (commander's own is 1, our "check failed").
    .exitOverride();
  for (const define of [
    scenarioCommand,
    historyCommand,
    verifyDefinition,
    rebuildCommand,
    bundleCommands,
    witnessDefinition,
    rotateKeyCommandDefinition,
    demoDefinition,
    completionCommand,
  ])
    define(program, ctx);
  return program;
};
