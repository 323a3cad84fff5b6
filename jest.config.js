/**
 * Three projects, all run by npm test: the pure specs (npm run test:unit), the main suite, and the EventStoreDB adapter
 * suite (npm run test:esdb).
 */
// The public entry points of the libraries (contract §3.1): `@app/<lib>`, and the few deliberate subpaths.
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
// The pure specs (npm run test:unit, seconds): the domain, the integrity code (hash chain, Merkle log, canonical JSON,
// signed notes) and the read-model projections. No server, no child process, no file store.
const UNIT = ['libs/custody/', 'libs/ledger/src/integrity/', 'libs/ledger/src/note/', 'libs/read-models/src/'];
module.exports = {
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: 'main',
      testMatch: ['<rootDir>/{apps,libs,test}/**/*.spec.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        '/dist/',
        '<rootDir>/test/esdb/',
        ...UNIT.map((d) => `<rootDir>/${d}`),
      ],
    },
    { ...common, displayName: 'unit', testMatch: UNIT.map((d) => `<rootDir>/${d}**/*.spec.ts`) },
    { ...common, displayName: 'esdb', testMatch: ['<rootDir>/test/esdb/**/*.spec.ts'] },
  ],
};
