import { CommanderError } from 'commander';
import { DomainError } from '@app/custody';
import { ConfigError } from '@app/application';
import { EXIT, cliContext } from './cli-context';
import { buildProgram } from './program';

/** Runs the CLI on `argv` (without node and the script) and resolves to the exit code. */
export const runCli = async (
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> => {
  const ctx = cliContext(env);
  const program = buildProgram(ctx);
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT.ok;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    // Help and version are "errors" with exit code 0 under exitOverride; every other commander error is usage.
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (e instanceof ConfigError) {
      console.error(`custody-ledger: ${e.message}`);
      return EXIT.usage;
    }
    // A typed refusal (no such item, an empty ledger) is one line; anything else is a bug worth its stack.
    if (e instanceof DomainError) console.error(`custody-ledger: ${e.message} (${e.code})`);
    else console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    return EXIT.failed;
  }
};

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
