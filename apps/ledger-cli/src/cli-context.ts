import { InvalidArgumentError, Option } from 'commander';
import {
  EN_CATALOGUE,
  LANGUAGES,
  languageFromLocale,
  loadConfig,
  type Lang,
  type ServiceConfig,
} from '@app/application';

/**
 * Exit codes of every command (documented in `custody-ledger --help` and CONTRIBUTING.md):
 * 0 ok; 1 a check failed (verification, a scenario, a bundle) or what was asked for is not there or could not be
 * done; 2 usage: an unknown command or option, a missing or malformed argument, a bad environment variable.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What every command's action receives besides its own arguments. */
export interface CliContext {
  /** The validated configuration (the service's own `loadConfig`), read on first use. */
  config(): ServiceConfig;
  /** `--data-dir` when given, else DATA_DIR (default ./data). */
  dataDir(opts: { dataDir?: string }): string;
  /** Wraps an action so its exit code becomes the process's (commander ignores what an action returns). */
  run<A extends unknown[]>(action: (...args: A) => number | Promise<number>): (...args: A) => Promise<void>;
  /** The language of human output: `--lang` when given, else the POSIX locale (LC_ALL, LC_MESSAGES, LANG). */
  lang(opts: { lang?: string }): Lang;
  /** The exit code of the action that ran (0 when none did: help, version). */
  readonly exitCode: number;
}

export const cliContext = (env: Record<string, string | undefined> = process.env): CliContext => {
  let loaded: ServiceConfig | undefined;
  let exitCode: number = EXIT.ok;
  const config = () => (loaded ??= loadConfig(env));
  return {
    config,
    dataDir: (opts) => opts.dataDir ?? config().dataDir,
    lang: (opts) => languageFromLocale(opts.lang, env.LC_ALL, env.LC_MESSAGES, env.LANG),
    run:
      (action) =>
      async (...args) => {
        exitCode = await action(...args);
      },
    get exitCode() {
      return exitCode;
    },
  };
};

// Options several commands share, defined once so their help reads the same everywhere. An option's argument
// named <dir> or <file> is completed as a directory or a file by `completion bash`.
export const dataDirOption = () =>
  new Option('--data-dir <dir>', "the service's data directory (default: $DATA_DIR or ./data)");
/** On the program, so it may be given before or after the command; `--json` output never changes with it. */
export const langOption = () => new Option('--lang <lang>', EN_CATALOGUE.cli.langOption).choices(LANGUAGES);
export const jsonOption = () => new Option('--json', 'machine-readable output on stdout');

/** An ISO-8601 date-time with a zone, normalised to UTC; anything else is a usage error naming the option. */
export const parseInstant = (value: string): string => {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(value) || Number.isNaN(Date.parse(value)))
    throw new InvalidArgumentError('must be an ISO-8601 date-time with a zone, e.g. 2026-03-02T12:00:00Z');
  return new Date(value).toISOString();
};

/** A whole number in [min, max]. */
export const parseWhole =
  (min: number, max: number) =>
  (value: string): number => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
