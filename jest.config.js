/** Two projects: the main suite (npm test runs both) and the EventStoreDB adapter suite (npm run test:esdb). */
// The public entry points of the libraries (DESIGN §3.1): `@app/<lib>`, and the few deliberate subpaths.
const moduleNameMapper = {
  '^@app/ledger$': '<rootDir>/libs/ledger/src',
  '^@app/ledger/esdb$': '<rootDir>/libs/ledger/src/esdb',
  '^@app/ledger/testing$': '<rootDir>/libs/ledger/src/testing',
  '^@app/custody$': '<rootDir>/libs/custody/src',
  '^@app/custody/testing$': '<rootDir>/libs/custody/src/testing',
  '^@app/read-models$': '<rootDir>/libs/read-models/src',
  '^@app/application$': '<rootDir>/libs/application/src',
};
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] };
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform,
  moduleNameMapper,
};
module.exports = {
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: 'main',
      testMatch: ['<rootDir>/{apps,libs,test}/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/test/esdb/'],
    },
    { ...common, displayName: 'esdb', testMatch: ['<rootDir>/test/esdb/**/*.spec.ts'] },
  ],
};
