// Resolves the @app/* library aliases of tsconfig.json against the compiled tree in dist/ at run time.
const path = require('node:path');
const tsConfigPaths = require('tsconfig-paths');
const dist = path.join(__dirname, '..', 'dist');
tsConfigPaths.register({
  baseUrl: dist,
  paths: {
    '@app/ledger': ['libs/ledger/src'], '@app/ledger/*': ['libs/ledger/src/*'],
    '@app/custody': ['libs/custody/src'], '@app/custody/*': ['libs/custody/src/*'],
    '@app/read-models': ['libs/read-models/src'], '@app/read-models/*': ['libs/read-models/src/*'],
  },
});
