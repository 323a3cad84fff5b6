import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliContext } from '../../apps/ledger-cli/src/cli-context';
import { buildProgram } from '../../apps/ledger-cli/src/program';

const ROOT = path.resolve(__dirname, '..', '..');
const pkg = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as Record<string, unknown>;

describe('the custody-ledger bin (npx custody-ledger after npm ci)', () => {
  it('comes from the packages/cli workspace, not from the root package.json', () => {
    // A root bin makes `npx custody-ledger` install the project into npx's cache, which rewrites its node_modules.
    expect(pkg('package.json').bin).toBeUndefined();
    expect(pkg('package.json').workspaces).toContain('packages/cli');
    const lock = pkg('package-lock.json') as { packages: Record<string, { link?: boolean; resolved?: string }> };
    expect(lock.packages['node_modules/custody-ledger-cli']).toEqual({ resolved: 'packages/cli', link: true });
    const bin = (pkg('packages/cli/package.json').bin as Record<string, string>)['custody-ledger'];
    const file = path.join(ROOT, 'packages', 'cli', bin);
    expect(fs.readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(fs.statSync(file).mode & 0o111).not.toBe(0);
  });

  it('builds when needed and runs the compiled CLI: --help lists every command, exit codes pass through', () => {
    const run = (...argv: string[]) =>
      spawnSync(process.execPath, [path.join(ROOT, 'packages', 'cli', 'custody-ledger.js'), ...argv], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, DATA_DIR: path.join(ROOT, 'test-output', 'cli-bin-data') },
      });
    const help = run('--help');
    expect(help.status).toBe(0);
    // Every command the program defines, so one added later is checked here too.
    const names = buildProgram(cliContext({})).commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['scenario', 'history', 'verify', 'rotate-key', 'completion']));
    for (const name of names) expect(help.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(run('history', 'doc-1', '--bogus').status).toBe(2);
  }, 300_000);
});
