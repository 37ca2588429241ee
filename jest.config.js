/** One jest run over every package's tests and the integration tests under test/. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }],
  },
  modulePathIgnorePatterns: ['<rootDir>/packages/.*/dist/'],
  // Workspace packages are tested from their sources, never from a stale build.
  moduleNameMapper: {
    '^@shinegold/librechat-sso$': '<rootDir>/packages/librechat-sso/src',
    '^@shinegold/librechat-sso/librechat$': '<rootDir>/packages/librechat-sso/src/librechat',
    '^@shinegold/main-site-kit$': '<rootDir>/packages/main-site-kit/src',
    '^@shinegold/sandbox$': '<rootDir>/packages/sandbox/src',
  },
  testTimeout: 30000,
  // The database is real (FerretDB or MongoDB): keep concurrency modest on 2 cores.
  maxWorkers: 2,
};
