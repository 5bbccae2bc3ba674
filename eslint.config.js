// Lint is also the architecture check (docs/architecture.md, docs/decisions/0001-layers.md):
// - every layer imports only the layers listed for it in LAYERS (rule `podflow/layers`);
// - the core (src/core/) stays pure — no I/O, no clock, no randomness — so that every behaviour it computes can be
//   replayed from (state, event, now).
import { posix, relative, sep } from 'node:path';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The layers and what each may import, inner layers first. This one table is enforced by the `podflow/layers`
 * rule below, tested arrow by arrow (test/lint/layers.test.ts) and drawn in docs/architecture.md
 * (scripts/gen-architecture.ts). test/ may import anything; nothing may import src/cli, scripts or bench.
 */
export const LAYERS = [
  {
    name: 'src/core',
    imports: [],
    role: 'pure kubelet semantics: reconcile, phase, conditions, back-off, manifests',
  },
  { name: 'src/ports', imports: ['src/core'], role: 'interfaces with written contracts' },
  {
    name: 'src/engine',
    imports: ['src/core', 'src/ports'],
    role: 'use cases: worker steps, delivery, prober',
  },
  { name: 'src/printers', imports: ['src/core'], role: 'kubectl output: table, describe, timeline' },
  {
    name: 'src/ui',
    imports: ['src/core', 'src/printers'],
    role: 'the web UI: browser code and its bundled static assets',
  },
  {
    name: 'src/adapters',
    imports: ['src/core', 'src/ports', 'src/engine'],
    role: 'one per technology: DynamoDB, Scheduler, processes, probes',
  },
  {
    name: 'src/api',
    imports: ['src/core', 'src/ports', 'src/engine', 'src/printers', 'src/ui'],
    role: 'the Kubernetes-compatible HTTP API',
  },
  {
    name: 'src/local',
    imports: ['src/core', 'src/ports', 'src/engine', 'src/adapters', 'src/api'],
    role: 'the embedded composition root and gateway',
  },
  {
    name: 'lambdas',
    imports: ['src/core', 'src/ports', 'src/engine', 'src/adapters', 'src/api'],
    role: 'the cloud composition root: Lambda entry points',
  },
  {
    name: 'infra',
    imports: ['src/core', 'src/ports', 'src/engine', 'src/adapters', 'src/api'],
    role: 'the CDK app',
  },
  {
    name: 'src/cli',
    imports: ['src/core', 'src/ports', 'src/engine', 'src/printers', 'src/adapters', 'src/api', 'src/local'],
    role: 'the podflow command',
  },
  {
    name: 'bench',
    imports: ['src/core', 'src/ports', 'src/engine', 'src/printers', 'src/adapters', 'src/api', 'src/local'],
    role: 'benchmarks',
  },
  {
    name: 'scripts',
    imports: ['src/core', 'src/ports', 'src/engine', 'src/printers', 'src/adapters', 'src/api', 'infra'],
    role: 'code generators',
  },
];

/** Why an arrow is missing, where one sentence says more than the table. */
const FORBIDDEN_BECAUSE = {
  'src/local': 'cloud code never depends on the local composition',
  'src/cli': 'the command is a leaf: shared code gets a neutral home (src/printers, src/core)',
  scripts: 'scripts are tools, not libraries',
  bench: 'benchmarks are leaves',
};

/** The layer a repository-relative path belongs to (the longest matching name), if any. */
export function layerOf(path) {
  return LAYERS.filter((l) => path === l.name || path.startsWith(`${l.name}/`)).sort(
    (a, b) => b.name.length - a.name.length,
  )[0];
}

/** `podflow/layers`: a relative import must point into the importer's own layer or one the table allows. */
const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'imports follow the layer table (eslint.config.js LAYERS)' },
    schema: [],
    messages: {
      forbidden: '{{from}} may not import {{to}} ({{target}}): {{why}}',
    },
  },
  create(context) {
    const file = relative(context.cwd, context.physicalFilename).split(sep).join('/');
    const from = layerOf(file);
    if (!from) return {};
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = posix.normalize(posix.join(posix.dirname(file), source));
      const to = layerOf(target);
      if (!to || to === from || from.imports.includes(to.name)) return;
      const why =
        FORBIDDEN_BECAUSE[to.name] ??
        `dependencies point inward; ${from.name} may import ${from.imports.join(', ') || 'nothing outside itself'}`;
      context.report({ node, messageId: 'forbidden', data: { from: from.name, to: to.name, target, why } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

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
      message: 'src/core/ is the innermost layer: outer layers import it, never the reverse.',
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
  {
    ignores: [
      'node_modules/**',
      'cdk.out/**',
      '.podflow/**',
      'coverage/**',
      'infra/generated/**',
      'src/ui/generated/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { podflow: { rules: { layers: layersRule } } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'podflow/layers': 'error',
    },
  },
  {
    // The web UI's browser code (bundled by scripts/build-ui.ts); the rest of src/ui is pure and runs anywhere.
    files: ['src/ui/app/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', coreRestrictedImports],
      'no-restricted-syntax': ['error', ...coreRestrictedSyntax],
    },
  },
);
