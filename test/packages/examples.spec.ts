import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The libraries as others install them (contract §3.1): `npm run pack:libs` packs the four tarballs; the two examples
 * are copied into a temporary folder that has nothing of this repository but the tarballs (npm workspaces, so the
 * native better-sqlite3 builds once for both), installed, compiled with their own strict tsconfig, and run.
 */
const root = path.join(__dirname, '..', '..');
const run = (cmd: string, args: string[], cwd: string): string =>
  execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });

describe('the packed libraries, installed from their tarballs', () => {
  let consumer: string;
  let tarballs: string[];

  beforeAll(() => {
    tarballs = run(process.execPath, [path.join(root, 'scripts', 'pack-libs.js')], root)
      .trim()
      .split('\n');
    consumer = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-ledger-consumer-'));
    for (const example of ['generic-ledger', 'embed-in-nest']) {
      fs.cpSync(path.join(root, 'examples', example), path.join(consumer, example), {
        recursive: true,
        filter: (src) => !/node_modules|dist|package-lock\.json/.test(path.relative(path.join(root, 'examples'), src)),
      });
      const pkgFile = path.join(consumer, example, 'package.json');
      const text = fs
        .readFileSync(pkgFile, 'utf8')
        .replaceAll('file:../../dist/packages/', `file:${path.join(root, 'dist', 'packages')}/`);
      fs.writeFileSync(pkgFile, text);
    }
    fs.writeFileSync(
      path.join(consumer, 'package.json'),
      JSON.stringify({
        private: true,
        workspaces: ['generic-ledger', 'embed-in-nest'],
        allowScripts: { 'better-sqlite3': true, protobufjs: true, '@custody-ledger/sha256-batch': true },
      }),
    );
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], consumer);
  }, 20 * 60_000);

  afterAll(() => fs.rmSync(consumer, { recursive: true, force: true }));

  it('packs four packages and the native hasher at 0.2.0 with no path alias left in their JavaScript or declarations', () => {
    expect(tarballs.map((t) => path.basename(t)).sort()).toEqual([
      'custody-ledger-application-0.2.0.tgz',
      'custody-ledger-custody-0.2.0.tgz',
      'custody-ledger-ledger-0.2.0.tgz',
      'custody-ledger-read-models-0.2.0.tgz',
      'custody-ledger-sha256-batch-0.2.0.tgz',
    ]);
    const installed = path.join(consumer, 'node_modules', '@custody-ledger');
    const files = fs
      .readdirSync(installed, { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.(js|d\.ts)$/.test(f));
    expect(files.length).toBeGreaterThan(50);
    const aliased = files.filter((f) => /["']@app\//.test(fs.readFileSync(path.join(installed, f), 'utf8')));
    expect(aliased).toEqual([]);
    // Installed from the tarballs, not linked to this repository's sources.
    expect(fs.realpathSync(path.join(installed, 'ledger')).startsWith(root)).toBe(false);
  });

  it('builds the native hasher where the ledger is installed, and the ledger uses it (its optional dependency)', () => {
    const ledgerPkg = JSON.parse(
      fs.readFileSync(path.join(consumer, 'node_modules', '@custody-ledger', 'ledger', 'package.json'), 'utf8'),
    ) as { optionalDependencies?: Record<string, string>; dependencies: Record<string, string> };
    expect(ledgerPkg.optionalDependencies).toEqual({ '@custody-ledger/sha256-batch': '0.2.0' });
    expect(ledgerPkg.dependencies['@custody-ledger/sha256-batch']).toBeUndefined();
    const addon = path.join(consumer, 'node_modules', '@custody-ledger', 'sha256-batch');
    expect(fs.realpathSync(addon).startsWith(root)).toBe(false);
    const script =
      "const l = require('@custody-ledger/ledger'); const t = new l.StreamHeadsTree(); t.advance('s', 'ab'.repeat(32));" +
      ' console.log(t.hasherName, t.root() === l.streamHeadLeafHex({ streamId: "s", revision: 0, hash: "ab".repeat(32) }))';
    expect(run(process.execPath, ['-e', script], path.join(consumer, 'generic-ledger')).trim()).toBe('native true');
  });

  it(
    'runs the generic ledger with a domain of its own: chains, tree, a signed checkpoint, verify',
    () => {
      const dir = path.join(consumer, 'generic-ledger');
      run('npx', ['tsc', '-p', 'tsconfig.json'], dir);
      const line = run(process.execPath, ['dist/main.js', path.join(consumer, 'crib-data')], dir).trim();
      expect(line).toMatch(
        /^generic ledger: 3 events in 2 streams, second lend refused TOOL_ALREADY_LENT, root [0-9a-f]{12}…, checkpoint signature valid, verify ok$/,
      );
    },
    5 * 60_000,
  );

  it(
    'embeds the ledger in a Nest app with LedgerModule.forRoot: a rule-breaking reading, its history, verify',
    () => {
      const dir = path.join(consumer, 'embed-in-nest');
      run('npx', ['tsc', '-p', 'tsconfig.json'], dir);
      const line = run(process.execPath, ['dist/main.js', path.join(consumer, 'nest-data')], dir).trim();
      expect(line).toBe(
        'embedded ledger: 3 events on doc-1, custodian p-director, violation OUT_OF_SCOPE_ACCESS, verify ok',
      );
    },
    5 * 60_000,
  );
});
