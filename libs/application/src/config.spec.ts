import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONFIG_VARIABLES, ConfigError, loadConfig, MIN_API_KEY_LENGTH } from './config';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const KEY = 'k-registrar-0123456789';

/** The ConfigError's one line, or a failure when the configuration loads. */
const problemOf = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).message;
  }
  throw new Error(`loaded: ${JSON.stringify(env)}`);
};
const keysProblem = (value: unknown): string => problemOf({ LEDGER_API_KEYS: JSON.stringify(value) });

describe('loadConfig: the one validated configuration', () => {
  it('gives every default when nothing is set, and a development key with every role', () => {
    const c = loadConfig({ LOG_LEVEL: 'info' }, { makeDevKey: () => 'dev-key-for-this-run' });
    expect(c).toMatchObject({
      port: 3000,
      dataDir: path.resolve('./data'),
      eventstoreUrl: undefined,
      schedulerIntervalMs: 1000,
      checkpointIntervalMs: 60_000,
      signingKeyFile: undefined,
      rateLimitPerMinute: 600,
      readyMaxLag: 1000,
      feedHeartbeatMs: 15_000,
      logLevel: 'info',
      heapGrowthPercent: 100,
      devKey: 'dev-key-for-this-run',
    });
    expect(c.apiKeys.get('dev-key-for-this-run')?.roles).toContain('admin');
  });

  it('reads each variable, treating an empty one as unset', () => {
    const c = loadConfig({
      PORT: '8080',
      DATA_DIR: '/tmp/ledger',
      EVENTSTORE_URL: 'esdb://es:2113?tls=false',
      LEDGER_API_KEYS: JSON.stringify({ [KEY]: { personId: 'p-reg', roles: ['registrar'] } }),
      SCHEDULER_INTERVAL_MS: '0',
      CHECKPOINT_INTERVAL_MS: '250',
      RATE_LIMIT_PER_MINUTE: '5',
      READY_MAX_LAG: '0',
      FEED_HEARTBEAT_MS: '',
      LOG_LEVEL: 'warn',
      HEAP_GROWTH_PERCENT: '0',
    });
    expect(c).toMatchObject({
      port: 8080,
      dataDir: '/tmp/ledger',
      eventstoreUrl: 'esdb://es:2113?tls=false',
      schedulerIntervalMs: 0,
      checkpointIntervalMs: 250,
      rateLimitPerMinute: 5,
      readyMaxLag: 0,
      feedHeartbeatMs: 15_000,
      logLevel: 'warn',
      heapGrowthPercent: 0,
      devKey: undefined,
    });
    expect([...c.apiKeys]).toEqual([[KEY, { personId: 'p-reg', roles: ['registrar'], name: 'p-reg' }]]);
  });

  it('resolves a relative DATA_DIR against the working directory', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-'));
    expect(loadConfig({ DATA_DIR: path.relative(process.cwd(), dir) }).dataDir).toBe(dir);
    fs.rmSync(dir, { recursive: true });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be a TCP port: a whole number from 0 to 65535 (got "abc")'],
    [{ PORT: '70000' }, 'PORT must be a TCP port'],
    [
      { SCHEDULER_INTERVAL_MS: '-5' },
      'SCHEDULER_INTERVAL_MS must be a whole number of milliseconds >= 0 (0: deadlines fire on demand only) (got "-5")',
    ],
    [{ CHECKPOINT_INTERVAL_MS: '-1' }, 'CHECKPOINT_INTERVAL_MS must be a whole number of milliseconds >= 0'],
    [{ RATE_LIMIT_PER_MINUTE: '0' }, 'RATE_LIMIT_PER_MINUTE must be a whole number of requests >= 1'],
    [{ READY_MAX_LAG: '1.5' }, 'READY_MAX_LAG must be a whole number'],
    [{ FEED_HEARTBEAT_MS: '10s' }, 'FEED_HEARTBEAT_MS must be a whole number of milliseconds >= 1'],
    [
      { LOG_LEVEL: 'verbose' },
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
    ],
    [{ HEAP_GROWTH_PERCENT: '-10' }, 'HEAP_GROWTH_PERCENT must be a whole number of percent from 0 to 1000'],
    [{ HEAP_GROWTH_PERCENT: '5000' }, 'HEAP_GROWTH_PERCENT must be a whole number of percent from 0 to 1000'],
    [{ EVENTSTORE_URL: 'http://es:2113' }, 'EVENTSTORE_URL must be an EventStoreDB connection string'],
    [{ EVENTSTORE_URL: 'es:2113' }, 'EVENTSTORE_URL must be an EventStoreDB connection string'],
    [{ LEDGER_SIGNING_KEY_FILE: '/nonexistent/key.pem' }, 'LEDGER_SIGNING_KEY_FILE must be the path of a readable'],
  ])('stops on %j naming the variable and what it accepts', (env, message) => {
    const line = problemOf(env);
    expect(line).toContain(message);
    expect(line).not.toContain('\n');
  });

  it('names every bad variable in one line', () => {
    expect(problemOf({ PORT: 'abc', LOG_LEVEL: 'loud' })).toMatch(
      /^invalid configuration: PORT must .*; LOG_LEVEL must/,
    );
  });

  it('never echoes a connection string, which may carry credentials', () => {
    expect(problemOf({ EVENTSTORE_URL: 'http://admin:changeit@es:2113' })).not.toContain('changeit');
  });
});

describe('LEDGER_API_KEYS validated whole (issue 11)', () => {
  it('refuses a string where the roles array belongs: "readonly-no-admin" must not act as admin', () => {
    const line = keysProblem({ [KEY]: { roles: 'readonly-no-admin' } });
    expect(line).toBe(
      'invalid configuration: LEDGER_API_KEYS key #1: roles must be an array of role names (registrar, custodian, ' +
        'approver, secrecy-officer, responder, investigator, auditor, admin)',
    );
  });

  it.each([
    [{ roles: ['admin', 'superuser'] }, 'key #2: roles[1] is not a role'],
    [{ roles: [] }, 'key #2: roles is empty: give at least one role'],
    [{ personId: 'p-gm' }, 'key #2: roles must be an array of role names'],
    [{ personId: 'p gm/..', roles: ['approver'] }, 'key #2: personId must be an id'],
    [{ roles: ['approver'], role: 'admin' }, 'key #2: unknown field role'],
    [{ roles: ['approver'], name: '  ' }, 'key #2: name must be a non-blank string'],
    ['admin', 'key #2: must be an object'],
  ])('names the key by its position, never the key: %j', (entry, message) => {
    const secondKey = 'second-key-abcdefghijkl';
    const line = keysProblem({ [KEY]: { roles: ['auditor'] }, [secondKey]: entry });
    expect(line).toContain(`LEDGER_API_KEYS ${message}`);
    expect(line).not.toContain(secondKey);
    expect(line).not.toContain(KEY);
  });

  it(`refuses a key shorter than ${MIN_API_KEY_LENGTH} characters, or one that cannot be sent in a header`, () => {
    expect(keysProblem({ 'short-key': { roles: ['auditor'] } })).toContain(
      `LEDGER_API_KEYS key #1 is shorter than ${MIN_API_KEY_LENGTH} characters`,
    );
    expect(keysProblem({ 'a key with spaces in it': { roles: ['auditor'] } })).toContain(
      'LEDGER_API_KEYS key #1 must be printable ASCII without spaces',
    );
    const shortKeyLine = keysProblem({ 'short-key': { roles: ['auditor'] } });
    expect(shortKeyLine).not.toContain('short-key');
  });

  it('refuses text that is not a JSON object, and an object with no keys', () => {
    expect(problemOf({ LEDGER_API_KEYS: '{"k-12345678901234567": ' })).toBe(
      'invalid configuration: LEDGER_API_KEYS is not valid JSON',
    );
    expect(keysProblem([KEY])).toContain('LEDGER_API_KEYS must be a JSON object');
    expect(keysProblem({})).toContain('LEDGER_API_KEYS holds no keys');
  });

  it('lets a harness with readable short keys lower the minimum, and nothing else', () => {
    expect(loadConfig({ LEDGER_API_KEYS: '{"k-gm":{"roles":["approver"]}}' }, { minKeyLength: 1 }).apiKeys.size).toBe(
      1,
    );
    expect(() => loadConfig({ LEDGER_API_KEYS: '{"k-gm":{"roles":"approver"}}' }, { minKeyLength: 1 })).toThrow(
      ConfigError,
    );
  });
});

describe('the three lists of variables agree', () => {
  const names = Object.keys(CONFIG_VARIABLES).sort();

  it('.env.example lists every variable with its default', () => {
    const lines = fs
      .readFileSync(path.join(ROOT, '.env.example'), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l));
    const example = Object.fromEntries(lines.map((l) => l.split(/=(.*)/s, 2) as [string, string]));
    expect(Object.keys(example).sort()).toEqual(names);
    for (const [name, v] of Object.entries(CONFIG_VARIABLES))
      expect([name, example[name]]).toEqual([name, 'default' in v ? v.default : '']);
  });

  it("the README's configuration table lists every variable, and no other", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const table = readme.slice(
      readme.indexOf('## Configuration'),
      readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1),
    );
    const listed = [...table.matchAll(/^\| `([A-Z_]+)`/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(names);
  });

  it('no other file of apps/ or libs/ reads a variable of the table', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') && p !== path.join(__dirname, 'config.ts')) {
          const text = fs.readFileSync(p, 'utf8');
          for (const name of names)
            if (new RegExp(`env(\\.${name}\\b|\\[['"]${name}['"]\\])`).test(text))
              offenders.push(`${path.relative(ROOT, p)}: ${name}`);
        }
      }
    };
    for (const d of ['apps', 'libs']) walk(path.join(ROOT, d));
    expect(offenders).toEqual([]);
  });
});
