/**
 * Lets a plain `node` process load the repository's TypeScript, for child processes in crash and end-to-end tests:
 *
 *   node -r ./test/support/ts-register.js test/crash/store-crash.child.ts
 *
 * `.ts` files are transpiled on require (no type check, like ts-jest with isolatedModules), and the `@app/*`
 * aliases of tsconfig.json resolve to the sources under libs/. Decorator metadata is emitted, so Nest modules work.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createHash } = require('node:crypto');
const tsConfigPaths = require('tsconfig-paths');

const root = path.resolve(__dirname, '..', '..');

// Built when TypeScript is first needed (a run that finds everything in the cache never loads it).
const compilerOptionsOf = (ts) => ({
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  resolveJsonModule: true,
  inlineSourceMap: true,
});

// Transpiled output is cached by the hash of the source, its path and the compiler version: a test that spawns
// many services (crash, reliability, config) pays for the transpilation of each file once, not once per child.
const cacheDir = path.join(os.tmpdir(), `custody-ledger-ts-cache-${process.getuid ? process.getuid() : 'user'}`);
// Part of the cache key: a change to the options below invalidates every cached file.
const OPTIONS_KEY = createHash('sha256').update(fs.readFileSync(__filename)).digest('hex');
let ts;
require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const version = require('typescript/package.json').version;
  const key = createHash('sha256').update(`${version}\0${OPTIONS_KEY}\0${filename}\0${source}`).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let outputText;
  try {
    outputText = fs.readFileSync(cached, 'utf8');
  } catch {
    ts ??= require('typescript');
    outputText = ts.transpileModule(source, { fileName: filename, compilerOptions: compilerOptionsOf(ts) }).outputText;
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      // Written under a unique name and renamed: a reader never sees half a file.
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, outputText);
      fs.renameSync(tmp, cached);
    } catch {
      // A cache that cannot be written only costs time.
    }
  }
  module._compile(outputText, filename);
};

// Registered after the '.ts' extension so tsconfig-paths also looks for index.ts / file.ts behind an alias.
// The aliases are tsconfig.json's own (one list of the libraries' public entry points).
tsConfigPaths.register({ baseUrl: root, paths: require(path.join(root, 'tsconfig.json')).compilerOptions.paths });

// Stack traces point at the .ts lines, through the inline source maps.
process.setSourceMapsEnabled(true);
