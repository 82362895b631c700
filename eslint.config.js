// One lint setup for the whole repo: typescript-eslint's recommended rules.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.infra/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // Domain code is plain TypeScript: rules, no framework, no I/O (DESIGN.md §4, §9).
    files: ['services/*/src/domain/**/*.ts', 'libs/domain/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*', 'mongoose', 'mongodb', 'kafkajs', 'bullmq', 'ioredis', 'fastify', 'pino', 'prom-client', 'node:*'],
              message: 'domain code has no framework or I/O imports',
            },
            {
              group: ['@licensing/*', '!@licensing/domain', '!@licensing/events'],
              message: 'domain code may use only @licensing/domain and @licensing/events',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
