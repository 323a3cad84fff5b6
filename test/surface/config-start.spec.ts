import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const REGISTER = path.join(ROOT, 'test', 'support', 'ts-register.js');
const MAIN = path.join(ROOT, 'apps', 'ledger-api', 'src', 'main.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the real service with `env` on a temp DATA_DIR; resolves when it exits (or is stopped once it listens). */
const start = (env: Record<string, string>): Promise<Run> =>
  new Promise((resolve) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-start-'));
    const child = spawn(process.execPath, ['-r', REGISTER, MAIN], {
      cwd: ROOT,
      // Only what the test sets: nothing inherited from the runner's environment can make a case pass.
      env: { PATH: process.env.PATH, DATA_DIR: dir, PORT: '0', CHECKPOINT_INTERVAL_MS: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('listening')) child.kill('SIGTERM');
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => {
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });

const KEY = 'k-auditor-0123456789abcdef';

describe('a bad environment variable stops the start with one line (the real service, spawned)', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['PORT=abc', { PORT: 'abc' }, 'PORT must be a TCP port: a whole number from 0 to 65535 (got "abc")'],
    [
      'a negative interval',
      { SCHEDULER_INTERVAL_MS: '-1000' },
      'SCHEDULER_INTERVAL_MS must be a whole number of milliseconds >= 0',
    ],
    ['an unknown LOG_LEVEL', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace'],
    ['a malformed EVENTSTORE_URL', { EVENTSTORE_URL: 'localhost:2113' }, 'EVENTSTORE_URL must be an EventStoreDB'],
    [
      'roles given as a string ("readonly-no-admin")',
      { LEDGER_API_KEYS: JSON.stringify({ [KEY]: { roles: 'readonly-no-admin' } }) },
      'LEDGER_API_KEYS key #1: roles must be an array of role names',
    ],
    [
      'a short key',
      { LEDGER_API_KEYS: JSON.stringify({ [KEY]: { roles: ['auditor'] }, 'k-admin': { roles: ['admin'] } }) },
      'LEDGER_API_KEYS key #2 is shorter than 16 characters',
    ],
  ];
  let runs: Run[];

  beforeAll(async () => {
    // In parallel: each child transpiles the service on its own.
    runs = await Promise.all([
      ...cases.map(([, env]) => start(env)),
      start({ LEDGER_API_KEYS: JSON.stringify({ [KEY]: { roles: ['auditor'] } }), LOG_LEVEL: 'warn' }),
    ]);
  }, 180_000);

  it.each(cases.map((c, i) => [c[0], i] as const))('%s', (_name, i) => {
    const run = runs[i];
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('listening');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`custody-ledger: invalid configuration: ${cases[i][2]}`);
    expect(run.stderr).not.toContain(KEY);
  });

  it('the same service with good values starts (so the cases above fail for their variable alone)', () => {
    const run = runs[cases.length];
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('custody-ledger listening');
  });
});
