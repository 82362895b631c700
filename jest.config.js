// One jest run for the whole repo: unit tests need nothing, the rest share the servers that
// libs/testing starts once per run (global setup) and stops at the end.
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] };

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      transform,
      testMatch: ['<rootDir>/{libs,services}/*/{src,test}/**/*.spec.ts', '<rootDir>/test/*.spec.ts'],
    },
    {
      displayName: 'integration',
      rootDir: __dirname,
      transform,
      testMatch: ['<rootDir>/{libs,services}/*/test/**/*.int-spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/jest-setup.ts'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
    },
  ],
};
