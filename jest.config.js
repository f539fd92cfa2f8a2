// Unit specs sit beside the code; integration tests live in test/ and talk to the real services.
const transform = { '^.+\\.ts$': ['@swc/jest'] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  // Each test waits on events with its own deadlines; this only bounds a test that would otherwise hang.
  testTimeout: 60_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      // The app's specs beside its code, and the client package's (packages/client/test).
      rootDir: '.',
      roots: ['<rootDir>/src', '<rootDir>/packages/client/test'],
      testMatch: ['**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      rootDir: 'test',
      testMatch: ['**/*.e2e-spec.ts'],
      // Tags the run's names on the shared Redis and RabbitMQ, and fails the run when a test file leaves any behind.
      globalSetup: '<rootDir>/support/leftovers.setup.ts',
      globalTeardown: '<rootDir>/support/leftovers.teardown.ts',
    },
    {
      ...common,
      // What people look at, in Debian's Chromium driven by playwright-core (npm run test:browser, after the
      // integration tests in npm test): /docs and the Bull Board dashboard on the real app. Screenshots land in
      // test-artifacts/browser/, emptied at the start of each run.
      displayName: 'browser',
      rootDir: 'test/browser',
      testMatch: ['**/*.browser-spec.ts'],
      globalSetup: '<rootDir>/support/clear-screenshots.ts',
    },
    {
      ...common,
      // Fault injection (test/faults): real processes and servers of each test's own, broken on purpose; run
      // serially (npm run test:faults, the last step of npm test). Workers run with a 5 s job lock
      // (PAYMENT_JOB_LOCK_MS) so the stall scenarios wait out real lock periods without taking minutes.
      displayName: 'faults',
      rootDir: 'test/faults',
      testMatch: ['**/*.fault-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/support/fault-timeout.ts'],
      globalTeardown: '<rootDir>/support/write-report.ts',
    },
  ],
};
