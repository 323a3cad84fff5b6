import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { cliInProcess } from './testing/cli-in-process';
import { buildProgram } from './program';
import { cliContext, EXIT } from './cli-context';
import { bashCompletion } from './completion/completion.command';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const COMMANDS = [
  'scenario',
  'history',
  'verify',
  'rebuild',
  'export',
  'verify-bundle',
  'witness',
  'rotate-key',
  'demo',
  'completion',
];

const cli = cliInProcess;

describe('the CLI on commander', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-cli-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--help lists every command, the environment and the exit codes', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(EXIT.ok);
    for (const name of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(stdout).toContain('Exit codes: 0 ok; 1 a check failed');
    // No command is defined without being listed, and none listed is missing from the definitions.
    expect(buildProgram(cliContext({})).commands.map((c) => c.name())).toEqual(COMMANDS);
  });

  it.each(COMMANDS)('%s --help describes the command and each of its options', async (name) => {
    const { code, stdout } = await cli([name, '--help']);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain(`Usage: custody-ledger ${name}`);
    const command = buildProgram(cliContext({})).commands.find((c) => c.name() === name)!;
    for (const o of command.options) expect(stdout).toContain(o.flags);
  });

  it('witness serve --help describes its own options', async () => {
    const { code, stdout } = await cli(['witness', 'serve', '--help']);
    expect(code).toBe(EXIT.ok);
    for (const flag of ['--key <file>', '--state <file>', '--port <n>', '--log <origin=file>', '--name', '--host'])
      expect(stdout).toContain(flag);
  });

  it.each([
    ['witness serve without its required options', ['witness', 'serve', '--port', '0'], "required option '--key"],
    ['an unknown option', ['history', 'doc-1', '--bogus'], "unknown option '--bogus'"],
    ['an unknown command', ['histroy', 'doc-1'], "unknown command 'histroy'"],
    ['a missing argument', ['history'], "missing required argument 'item'"],
    ['an excess argument', ['verify', 'extra'], 'too many arguments'],
    ['a missing required option', ['export', 'doc-1'], "required option '--out <file>' not specified"],
    ['a malformed instant', ['history', 'doc-1', '--as-of', 'yesterday'], 'must be an ISO-8601 date-time'],
    ['a malformed number', ['demo', '--items', '-3'], 'must be a whole number from 1 to 100000'],
    ['an unknown shell', ['completion', 'fish'], 'Allowed choices are bash'],
  ])('%s is a usage error (exit 2) naming it', async (_what, argv, message) => {
    const { code, stderr } = await cli(argv);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(message);
  });

  it('a bad environment variable is a usage error in one line', async () => {
    const { code, stderr } = await cli(['history', 'doc-1'], { DATA_DIR: dir, EVENTSTORE_URL: 'localhost:2113' });
    expect(code).toBe(EXIT.usage);
    expect(stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^custody-ledger: invalid configuration: EVENTSTORE_URL must be an EventStoreDB/),
    ]);
  });

  describe('on a small demo ledger', () => {
    let data: string;
    beforeAll(async () => {
      data = path.join(dir, 'demo');
      const { code, stdout } = await cli(['demo', '--items', '4', '--days', '3', '--json', '--data-dir', data]);
      expect(code).toBe(EXIT.ok);
      expect(JSON.parse(stdout)).toMatchObject({ verified: true });
    }, 120_000);

    it('history and verify read DATA_DIR from the environment, --data-dir wins over it', async () => {
      const viaEnv = await cli(['history', 'doc-0001', '--json'], { DATA_DIR: data });
      expect(viaEnv.code).toBe(EXIT.ok);
      expect(JSON.parse(viaEnv.stdout)).toMatchObject({ itemId: 'doc-0001' });
      const viaFlag = await cli(['verify', '--data-dir', data], { DATA_DIR: path.join(dir, 'elsewhere') });
      expect(viaFlag).toMatchObject({ code: EXIT.ok, stdout: expect.stringMatching(/^ok: \d+ events in \d+ streams/) });
    });

    it('an item that is not there is exit 1', async () => {
      const { code, stderr } = await cli(['history', 'no-such-item', '--data-dir', data]);
      expect(code).toBe(EXIT.failed);
      expect(stderr).toContain('no item no-such-item');
    });

    it('verify fails with exit 1 on a tampered copy of the store', async () => {
      const copy = path.join(dir, 'tampered');
      fs.mkdirSync(copy);
      for (const f of fs.readdirSync(data).filter((f) => !f.startsWith('read-models')))
        fs.copyFileSync(path.join(data, f), path.join(copy, f));
      const db = new Database(path.join(copy, 'ledger.sqlite'));
      const edited = db
        .prepare(
          `UPDATE events SET data = json_set(data, '$.tampered', 1) WHERE position = (SELECT min(position) FROM events WHERE stream_no IN (SELECT stream_no FROM streams WHERE stream_id LIKE 'item-%'))`,
        )
        .run();
      db.close();
      expect(edited.changes).toBe(1);
      const { code, stdout } = await cli(['verify', '--data-dir', copy]);
      expect(code).toBe(EXIT.failed);
      expect(stdout).toMatch(/^FAILED at /);
    });
  });
});

describe('custody-ledger completion bash', () => {
  const script = bashCompletion(buildProgram(cliContext({})));
  /** What bash completes for the words typed so far (the last one is being completed). */
  const complete = (...words: string[]): string[] => {
    const line = ['custody-ledger', ...words];
    const program = `${script}
COMP_WORDS=(${line.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${line.length - 1}
_custody_ledger; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return execFileSync('bash', ['-c', program], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  };

  it('completes command names, each command its own options, and file arguments', () => {
    expect(complete('hi')).toEqual(['history']);
    expect(complete('ver')).toEqual(['verify', 'verify-bundle']);
    expect(complete('history', '--')).toEqual([
      '--as-of',
      '--copies',
      '--data-dir',
      '--help',
      '--json',
      '--occurred-before',
    ]);
    expect(complete('export', 'doc-1', '--o')).toEqual(['--out']);
    expect(complete('verify', '--public-key', 'tsconfig.')).toEqual(
      fs
        .readdirSync(ROOT)
        .filter((f) => f.startsWith('tsconfig.'))
        .sort(),
    );
    expect(complete('demo', '--data-dir', 'lib')).toEqual(['libs']);
    expect(complete('completion', '')).toEqual(['bash']);
    expect(complete('witness', '')).toEqual(['serve']);
    expect(complete('witness', 'serve', '--st')).toEqual(['--state']);
  });

  it('follows the definitions: a command added to the program completes with its options', () => {
    const program = buildProgram(cliContext({}));
    program.command('audit-trail').option('--since <time>').option('--into <dir>');
    const added = bashCompletion(program);
    expect(added).toContain('audit-trail) opts="--since --into --help"');
    expect(added).toContain('--into) COMPREPLY=($(compgen -d -- "$cur"))');
  });

  it('is valid bash that registers the completion', () => {
    const r = spawnSync('bash', ['-c', `${script}\ncomplete -p custody-ledger`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('-F _custody_ledger custody-ledger');
  });
});

describe('the real process', () => {
  it('exits with the code of the command: 0 help, 2 usage, 1 not found', () => {
    const run = (...argv: string[]) =>
      spawnSync(process.execPath, ['-r', './test/support/ts-register.js', 'apps/ledger-cli/src/main.ts', ...argv], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-cli-proc-')) },
      }).status;
    expect([run('--help'), run('verify', '--bogus'), run('history', 'nothing-here')]).toEqual([0, 2, 1]);
  }, 120_000);
});
