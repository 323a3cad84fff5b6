// Resolves the @app/* library aliases of tsconfig.json against the compiled tree in dist/ at run time.
//
// By hand rather than with tsconfig-paths: that library matches every require of every package against the
// patterns and probes the file system for each (about a sixth of a service start's CPU in a profile, issue 16).
// The aliases here are exact names (no wildcards), so a map lookup per require is all it takes.
const Module = require('node:module');
const path = require('node:path');
const dist = path.join(__dirname, '..', 'dist');
// The aliases are tsconfig.json's own (one list of the libraries' public entry points).
const aliases = new Map(
  Object.entries(require(path.join(__dirname, '..', 'tsconfig.json')).compilerOptions.paths).map(
    ([alias, [target]]) => [alias, path.join(dist, target)],
  ),
);
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, aliases.get(request) ?? request, ...rest);
};
