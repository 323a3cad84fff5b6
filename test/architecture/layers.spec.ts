import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The layer rules of contract §3, checked on the source: dependencies point one way (apps → read-models → custody →
 * ledger types), and the domain stays pure (no Nest, no store client, no I/O, no clock, no randomness).
 */
const root = path.join(__dirname, '..', '..');

const sources = (dir: string): string[] =>
  fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return e.name.endsWith('.ts') &&
      !e.name.endsWith('.spec.ts') &&
      !rel.includes(`${path.sep}testing${path.sep}`) &&
      !e.name.endsWith('.fixtures.ts')
      ? [rel]
      : [];
  });

const importsOf = (file: string): string[] =>
  [
    ...fs
      .readFileSync(path.join(root, file), 'utf8')
      .matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g),
  ].map((m) => m[1]);

/** Resolves an import to the top-level part of the repo it lands in (apps/…, libs/ledger, a package…). */
const target = (file: string, spec: string): string => {
  if (spec.startsWith('@app/')) return `libs/${spec.slice(5).split('/')[0]}`;
  if (!spec.startsWith('.')) return `package:${spec}`;
  const resolved = path.relative(root, path.resolve(path.dirname(path.join(root, file)), spec)).split(path.sep);
  return resolved[0] === 'libs' ? `libs/${resolved[1]}` : resolved.slice(0, 2).join('/');
};

const violations = (dir: string, allowed: (t: string) => boolean): string[] =>
  sources(dir).flatMap((f) =>
    importsOf(f)
      .filter((s) => !allowed(target(f, s)))
      .map((s) => `${f} imports ${s}`),
  );

/** Every .ts file under dir, specs and helpers included (deep imports are wrong in tests too). */
const sourcesWithSpecs = (dir: string): string[] =>
  fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.name === 'node_modules') return [];
    if (e.isDirectory()) return sourcesWithSpecs(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });

/** The public entry points: `@app/<lib>` and the deliberate subpaths (the EventStoreDB adapter, test helpers). */
const PUBLIC_ENTRY_POINTS = new Set([
  '@app/ledger',
  '@app/ledger/esdb',
  '@app/ledger/testing',
  '@app/custody',
  '@app/custody/testing',
  '@app/read-models',
  '@app/application',
]);

/** A relative import from outside a library into it (`../../libs/ledger/src/store/…`) bypasses its entry point. */
const crossesIntoLib = (file: string, spec: string): boolean => {
  if (!spec.startsWith('.')) return false;
  const from = file.split(path.sep);
  const to = path.relative(root, path.resolve(path.dirname(path.join(root, file)), spec)).split(path.sep);
  return to[0] === 'libs' && (from[0] !== 'libs' || from[1] !== to[1]);
};

describe('layer rules', () => {
  it('keeps libs/custody pure: only its own files and nothing with I/O, Nest, a store or a clock', () => {
    expect(violations('libs/custody/src', (t) => t === 'libs/custody')).toEqual([]);
    const impure = sources('libs/custody/src').filter((f) =>
      /Date\.now\(\)|new Date\(\)|Math\.random|process\.|require\(/.test(fs.readFileSync(path.join(root, f), 'utf8')),
    );
    expect(impure).toEqual([]);
  });

  it('keeps libs/ledger generic: no domain, no read models, no apps', () => {
    expect(
      violations(
        'libs/ledger/src',
        (t) => !t.startsWith('libs/custody') && !t.startsWith('libs/read-models') && !t.startsWith('apps'),
      ),
    ).toEqual([]);
  });

  it('keeps libs/read-models below the apps', () => {
    expect(violations('libs/read-models/src', (t) => !t.startsWith('apps'))).toEqual([]);
  });

  it('keeps libs/application below the apps, and Nest in its one module file', () => {
    expect(violations('libs/application/src', (t) => !t.startsWith('apps'))).toEqual([]);
    const nest = sources('libs/application/src').filter((f) => importsOf(f).some((s) => s.startsWith('@nestjs/')));
    expect(nest).toEqual([path.join('libs', 'application', 'src', 'ledger.module.ts')]);
  });

  it('keeps apps/ledger-cli off apps/ledger-api (both go through libs/application)', () => {
    expect(violations('apps/ledger-cli/src', (t) => t !== 'apps/ledger-api')).toEqual([]);
  });

  it('reaches a library only through its public entry point (contract §3.1)', () => {
    const deep = ['apps', 'libs', 'bench', 'test'].flatMap((dir) =>
      sourcesWithSpecs(dir).flatMap((f) =>
        importsOf(f)
          .filter((s) => (s.startsWith('@app/') && !PUBLIC_ENTRY_POINTS.has(s)) || crossesIntoLib(f, s))
          .map((s) => `${f} imports ${s}`),
      ),
    );
    expect(deep).toEqual([]);
  });

  it('finds the files it checks (the rules above are not vacuous)', () => {
    expect(sources('libs/custody/src').length).toBeGreaterThan(20);
    expect(importsOf('libs/read-models/src/read-models.ts').length).toBeGreaterThan(3);
  });
});
