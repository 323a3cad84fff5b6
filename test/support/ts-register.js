/**
 * Lets a plain `node` process load the repository's TypeScript, for child processes in crash and end-to-end tests:
 *
 *   node -r ./test/support/ts-register.js test/crash/store-crash.child.ts
 *
 * `.ts` files are transpiled on require (no type check, like ts-jest with isolatedModules), and the `@app/*`
 * aliases of tsconfig.json resolve to the sources under libs/. Decorator metadata is emitted, so Nest modules work.
 */
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');
const tsConfigPaths = require('tsconfig-paths');

const root = path.resolve(__dirname, '..', '..');

const compilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  resolveJsonModule: true,
  inlineSourceMap: true,
};

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { fileName: filename, compilerOptions });
  module._compile(outputText, filename);
};

// Registered after the '.ts' extension so tsconfig-paths also looks for index.ts / file.ts behind an alias.
// The aliases are tsconfig.json's own (one list of the libraries' public entry points).
tsConfigPaths.register({ baseUrl: root, paths: require(path.join(root, 'tsconfig.json')).compilerOptions.paths });

// Stack traces point at the .ts lines, through the inline source maps.
process.setSourceMapsEnabled(true);
