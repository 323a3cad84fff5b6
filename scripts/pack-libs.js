#!/usr/bin/env node
/**
 * npm run pack:libs — builds the four libraries with type declarations and packs them into installable tarballs:
 *
 *   dist/packages/custody-ledger-{ledger,custody,read-models,application}-0.2.0.tgz
 *
 * Each package is the compiled `libs/<lib>/src` (JavaScript + .d.ts) with the repository's `@app/<lib>` aliases
 * rewritten to the package names (`@custody-ledger/<lib>`), so nothing in a tarball points back at this repository.
 * Dependencies are read off what the compiled code really requires, with the versions of the root package.json.
 * Written by hand because no packaging tool knows this repository's alias map; tsc and `npm pack` do the real work.
 *
 * The native hasher (packages/sha256-batch: C source and binding.gyp, built by node-gyp where it is installed) is
 * packed as it is, as a fifth tarball, and the ledger names it an optional dependency: the ledger falls back to
 * node:crypto (same bytes, slower roots) where it cannot be built.
 */
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const VERSION = '0.2.0';
const SCOPE = '@custody-ledger';
const LIBS = ['ledger', 'custody', 'read-models', 'application'];
/** Extra public entry points beside `.` (contract §3.1: the EventStoreDB adapter; given/when/then helpers). */
const SUBPATHS = { ledger: ['esdb', 'testing'], custody: ['testing'] };
/** Packages of this repository packed as they are (no compiling, no aliases), and their dependents' optional ones. */
const NATIVE = { name: `${SCOPE}/sha256-batch`, dir: path.join(root, 'packages', 'sha256-batch') };
/** Nest is the host's: the application package works with the host's @nestjs/common (LedgerModule). */
const PEERS = new Set(['@nestjs/common', '@nestjs/core', 'rxjs']);
const DESCRIPTIONS = {
  ledger:
    'Generic tamper-evident event ledger: EventStore port (SQLite, EventStoreDB), hash chains, RFC 9162 Merkle log, signed checkpoints, verification, decider runner',
  custody: 'The classified-item (涉密载体) custody domain: pure deciders, rules with their sources, deadlines',
  'read-models':
    'Projections and queries of the custody ledger (custody, reading scope, violations, incidents, Merkle leaves)',
  application:
    'The custody ledger use cases (commands for a principal, history, exposure, report draft, verification, export) and LedgerModule for Nest',
};

const rootPkg = require(path.join(root, 'package.json'));
const versionOf = (name) => {
  const v = rootPkg.dependencies?.[name] ?? rootPkg.devDependencies?.[name];
  if (!v) throw new Error(`pack-libs: ${name} is required by a library but not in the root package.json`);
  return v;
};

const walk = (dir) =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });

const log = (line) => process.stderr.write(`pack-libs: ${line}\n`);

const main = () => {
  const build = path.join(root, 'dist', 'packages-build');
  const out = path.join(root, 'dist', 'packages');
  fs.rmSync(build, { recursive: true, force: true });
  fs.rmSync(out, { recursive: true, force: true });
  log('compiling the libraries with declarations (tsc -p tsconfig.packages.json)');
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.packages.json')],
    {
      stdio: 'inherit',
      cwd: root,
    },
  );
  const tarballs = [];
  for (const lib of LIBS) {
    const dest = path.join(out, lib);
    const compiled = path.join(build, 'libs', lib, 'src');
    fs.cpSync(compiled, path.join(dest, 'dist'), { recursive: true });
    const deps = new Set();
    const typeDeps = new Set();
    for (const file of walk(path.join(dest, 'dist'))) {
      if (!file.endsWith('.js') && !file.endsWith('.d.ts')) continue;
      let text = fs.readFileSync(file, 'utf8');
      text = text.replace(
        /(["'])@app\/([a-z-]+)((?:\/[a-z-]+)?)\1/g,
        (_, q, name, sub) => `${q}${SCOPE}/${name}${sub}${q}`,
      );
      if (/["']@app\//.test(text))
        throw new Error(`pack-libs: an @app/ alias survives in ${path.relative(root, file)}`);
      fs.writeFileSync(file, text);
      for (const m of text.matchAll(/(?:require\(|from\s+|import\()\s*["']([^"'.][^"']*)["']/g)) {
        const spec = m[1];
        if (spec.startsWith('node:')) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (name === `${SCOPE}/${lib}`) continue;
        deps.add(name);
        // A package whose declarations name another package's types must bring those types (@types/…) along.
        if (file.endsWith('.d.ts') && rootPkg.devDependencies?.[`@types/${name}`]) typeDeps.add(`@types/${name}`);
      }
    }
    const dependencies = {};
    const peerDependencies = {};
    const optionalDependencies = {};
    for (const name of [...deps, ...typeDeps].sort()) {
      if (name === NATIVE.name) optionalDependencies[name] = VERSION;
      else if (name.startsWith(`${SCOPE}/`)) dependencies[name] = VERSION;
      else if (PEERS.has(name)) peerDependencies[name] = versionOf(name);
      else dependencies[name] = versionOf(name);
    }
    if (peerDependencies['@nestjs/common']) peerDependencies['rxjs'] = versionOf('rxjs');
    const exportsMap = { '.': { types: './dist/index.d.ts', default: './dist/index.js' } };
    for (const sub of SUBPATHS[lib] ?? []) {
      const base = fs.existsSync(path.join(dest, 'dist', sub, 'index.js')) ? `${sub}/index` : sub;
      exportsMap[`./${sub}`] = { types: `./dist/${base}.d.ts`, default: `./dist/${base}.js` };
    }
    const pkg = {
      name: `${SCOPE}/${lib}`,
      version: VERSION,
      description: DESCRIPTIONS[lib],
      license: rootPkg.license,
      main: './dist/index.js',
      types: './dist/index.d.ts',
      exports: exportsMap,
      files: ['dist', 'README.md'],
      engines: rootPkg.engines,
      dependencies,
      ...(Object.keys(peerDependencies).length ? { peerDependencies } : {}),
      ...(Object.keys(optionalDependencies).length ? { optionalDependencies } : {}),
    };
    fs.writeFileSync(path.join(dest, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
    fs.copyFileSync(path.join(root, 'libs', lib, 'README.md'), path.join(dest, 'README.md'));
    const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], {
      cwd: dest,
      encoding: 'utf8',
    }).trim();
    tarballs.push(path.join(out, name.split('\n').pop()));
    log(
      `${pkg.name}@${VERSION}: ${Object.keys(dependencies).length} dependencies → ${path.relative(root, tarballs.at(-1))}`,
    );
  }
  const native = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], {
    cwd: NATIVE.dir,
    encoding: 'utf8',
  }).trim();
  tarballs.push(path.join(out, native.split('\n').pop()));
  log(`${NATIVE.name}@${VERSION}: C source, built where it is installed → ${path.relative(root, tarballs.at(-1))}`);
  fs.rmSync(build, { recursive: true, force: true });
  return tarballs;
};

if (require.main === module) {
  try {
    for (const t of main()) console.log(t);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}

module.exports = { packLibs: main, VERSION, LIBS };
