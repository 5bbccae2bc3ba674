// Lint is also the architecture check: the core (core/) stays pure — no I/O, no clock, no randomness —
// so that every behaviour it computes can be replayed from (state, event, now). See docs/decisions/0001.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Imports the pure core may not use: Node built-ins, AWS SDK, and every outer layer. */
export const coreRestrictedImports = {
  patterns: [
    { group: ['node:*'], message: 'core/ is pure: no Node.js built-ins (I/O belongs in adapters/).' },
    {
      group: ['@aws-sdk/*', 'aws-cdk-lib', 'aws-cdk-lib/*'],
      message: 'core/ is pure: AWS belongs in adapters/ and infra/.',
    },
    {
      group: ['**/adapters/**', '**/local/**', '**/lambdas/**', '**/infra/**', '**/cli/**', '**/ports/**'],
      message: 'core/ is the innermost layer: outer layers import it, never the reverse.',
    },
  ],
  paths: [
    'fs',
    'path',
    'os',
    'child_process',
    'net',
    'http',
    'https',
    'crypto',
    'process',
    'timers',
    'dgram',
    'worker_threads',
  ].map((name) => ({ name, message: 'core/ is pure: no Node.js built-ins.' })),
};

export const coreRestrictedSyntax = [
  {
    selector: "MemberExpression[object.name='Date'][property.name='now']",
    message: 'core/ takes time as a parameter (`now`).',
  },
  {
    selector: "NewExpression[callee.name='Date'][arguments.length=0]",
    message: 'core/ takes time as a parameter (`now`).',
  },
  {
    selector: "MemberExpression[object.name='Math'][property.name='random']",
    message: 'core/ is deterministic: pass randomness in.',
  },
  {
    selector: "MemberExpression[object.name='performance']",
    message: 'core/ takes time as a parameter (`now`).',
  },
  { selector: "MemberExpression[object.name='crypto']", message: 'core/ is deterministic: pass ids in.' },
  { selector: "Identifier[name='process']", message: 'core/ reads no environment: pass settings in.' },
  {
    selector: 'CallExpression[callee.name=/^set(Timeout|Interval|Immediate)$/]',
    message: 'core/ schedules through actions, not timers.',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', '.podflow/**', 'coverage/**', 'infra/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', coreRestrictedImports],
      'no-restricted-syntax': ['error', ...coreRestrictedSyntax],
    },
  },
);
