/** Two projects: the main suite (npm test runs both) and the EventStoreDB adapter suite (npm run test:esdb). */
const moduleNameMapper = {
  '^@app/ledger$': '<rootDir>/libs/ledger/src', '^@app/ledger/(.*)$': '<rootDir>/libs/ledger/src/$1',
  '^@app/custody$': '<rootDir>/libs/custody/src', '^@app/custody/(.*)$': '<rootDir>/libs/custody/src/$1',
  '^@app/read-models$': '<rootDir>/libs/read-models/src', '^@app/read-models/(.*)$': '<rootDir>/libs/read-models/src/$1',
};
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] };
const common = { rootDir: __dirname, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'], transform, moduleNameMapper };
module.exports = {
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'main', testMatch: ['<rootDir>/{apps,libs,test}/**/*.spec.ts'], testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/test/esdb/'] },
    { ...common, displayName: 'esdb', testMatch: ['<rootDir>/test/esdb/**/*.spec.ts'] },
  ],
};
