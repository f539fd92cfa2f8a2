// Unit specs sit beside the code; integration tests live in test/ and talk to the real services.
const transform = { '^.+\\.ts$': ['@swc/jest'] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  // Each test waits on events with its own deadlines; this only bounds a test that would otherwise hang.
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', rootDir: 'src', testMatch: ['**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      rootDir: 'test',
      testMatch: ['**/*.e2e-spec.ts'],
    },
  ],
};
