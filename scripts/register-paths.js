// Resolves the @app/* library aliases of tsconfig.json against the compiled tree in dist/ at run time.
const path = require('node:path');
const tsConfigPaths = require('tsconfig-paths');
const dist = path.join(__dirname, '..', 'dist');
// The aliases are tsconfig.json's own (one list of the libraries' public entry points).
tsConfigPaths.register({
  baseUrl: dist,
  paths: require(path.join(__dirname, '..', 'tsconfig.json')).compilerOptions.paths,
});
