// @ts-check
/**
 * The lint rules that encode dpf's architecture (docs/architecture.md, "Layers"):
 * - boundaries/dependencies: each layer imports only the layers below it (a type-only import is
 *   allowed where noted: ui draws what the layers below describe, commands name AWS port types);
 * - `process` is read only in the two entry modules, src/cli.ts and src/fast-entry.ts (settings are
 *   read there once and passed down). The exception for src/fast-entry.ts: it is the module
 *   bin/dpf loads first, which answers `dpf --version` and `dpf status --offline` without loading
 *   commander or src/cli.ts (issue 14, start-up), so it must read argv, the environment and
 *   stdout itself; src/cli.ts takes the process settings from it, so both read them one way;
 * - only src/ui/ uses the terminal libraries, only src/aws/ the AWS SDK.
 * test/lint/boundaries.test.ts lints small bad fixtures to prove each rule fails on a violation.
 */
import tseslint from 'typescript-eslint';
import boundaries from 'eslint-plugin-boundaries';

/** Bottom to top. A layer may import any layer listed before it (and itself). */
export const LAYERS = [
  { type: 'foundation', pattern: ['src/errors.ts', 'src/clock.ts', 'src/duration.ts', 'src/settings.ts', 'src/wait.ts'] },
  { type: 'io', pattern: ['src/io/**'] },
  { type: 'aws', pattern: ['src/aws/**'] },
  { type: 'config', pattern: ['src/config/**', 'src/templates/**', 'src/spec/**'] },
  { type: 'state', pattern: ['src/state/**'] },
  { type: 'node', pattern: ['src/ssm/**', 'src/ansible/**'] },
  { type: 'checks', pattern: ['src/checks/**'] },
  { type: 'engine', pattern: ['src/steps/**'] },
  { type: 'runtime', pattern: ['src/session.ts', 'src/context.ts'] },
  // The features: each on the runtime and below; between them only the edges listed in FEATURE_EDGES.
  { type: 'reports', pattern: ['src/reports/**'] },
  { type: 'status', pattern: ['src/status/**'] },
  { type: 'ops', pattern: ['src/ops/**'] },
  { type: 'validate', pattern: ['src/validate/**'] },
  { type: 'preflight', pattern: ['src/preflight/**'] },
  { type: 'iam', pattern: ['src/iam/**'] },
  { type: 'completion', pattern: ['src/completion.ts'] },
  { type: 'ui', pattern: ['src/ui/**'] },
  { type: 'commands', pattern: ['src/commands/**'] },
  { type: 'cli', pattern: ['src/cli.ts', 'src/fast-entry.ts'] },
];
const FEATURES = ['reports', 'status', 'ops', 'validate', 'preflight', 'iam', 'completion'];
const BELOW_FEATURES = ['foundation', 'io', 'aws', 'config', 'state', 'node', 'checks', 'engine', 'runtime'];
/** The only imports between features: preflight runs the semantic rules, which render the patch graph; day-2 and status reuse the report sources. */
const FEATURE_EDGES = { preflight: ['validate'], validate: ['ops'], ops: ['reports'], status: ['reports'] };

const types = (list) => ({ to: { element: { types: { anyOf: list } } } });
const typesOnly = (list) => ({ to: { element: { types: { anyOf: list } } }, dependency: { kind: 'type' } });
const below = (type) => LAYERS.slice(0, LAYERS.findIndex((l) => l.type === type) + 1).map((l) => l.type);

const policies = [
  ...['foundation', 'io', 'aws', 'config', 'state', 'node', 'checks', 'engine', 'runtime'].map((t) => ({
    from: { element: { type: t } },
    allow: types(below(t)),
  })),
  ...FEATURES.map((t) => ({ from: { element: { type: t } }, allow: types([...BELOW_FEATURES, t, ...(FEATURE_EDGES[t] ?? [])]) })),
  // ui draws what the layers below describe: values from the IO protocol, config and the foundation; types from anything below it.
  { from: { element: { type: 'ui' } }, allow: types(['foundation', 'io', 'config', 'ui']) },
  { from: { element: { type: 'ui' } }, allow: typesOnly([...BELOW_FEATURES, ...FEATURES]) },
  // Commands are options → module → render: anything below them, but AWS only through the ports' types (no AWS call in a command).
  { from: { element: { type: 'commands' } }, allow: types([...BELOW_FEATURES.filter((t) => t !== 'aws'), ...FEATURES, 'ui', 'commands']) },
  { from: { element: { type: 'commands' } }, allow: typesOnly(['aws']) },
  { from: { element: { type: 'cli' } }, allow: types(LAYERS.map((l) => l.type)) },
];

const TERMINAL_LIBS = ['listr2', '@inquirer/prompts', 'chalk', 'log-update'].map((name) => ({
  name,
  message: 'Only src/ui/ draws on the terminal: emit an event to the IO host (src/io/) instead.',
}));
const AWS_SDK = [
  { group: ['@aws-sdk/*', '@smithy/*'], message: 'Only src/aws/ talks to the AWS SDK: add the call to a port (src/aws/*.ts) and its sdk-*.ts adapter.' },
];
const PROCESS_MODULE = ['process', 'node:process'].map((name) => ({
  name,
  message: 'Only src/cli.ts and src/fast-entry.ts read the process: take the value from the settings (src/settings.ts) passed down.',
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.venv/**', '.dpf-emulator/**'] },
  {
    files: ['src/**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { ecmaVersion: 2022, sourceType: 'module' } },
    plugins: { '@typescript-eslint': tseslint.plugin, boundaries },
    settings: {
      // A layer that is a folder matches its files; one made of single files (src/cli.ts, src/session.ts…) is matched file by file.
      'boundaries/elements': LAYERS.map((l) =>
        l.pattern.every((p) => p.endsWith('.ts'))
          ? { type: l.type, pattern: l.pattern, mode: 'file' }
          : { type: l.type, pattern: l.pattern, partialMatch: false },
      ),
      'boundaries/include': ['src/**/*.ts'],
      'import/resolver': { typescript: { alwaysTryTypes: true, project: './tsconfig.json' } },
    },
    rules: {
      'boundaries/dependencies': ['error', { default: 'disallow', policies }],
      'no-restricted-globals': [
        'error',
        {
          name: 'process',
          message: 'Only src/cli.ts and src/fast-entry.ts read the process: take the value from the settings (src/settings.ts) passed down.',
        },
      ],
      'no-restricted-properties': ['error', { object: 'globalThis', property: 'process', message: 'Only src/cli.ts and src/fast-entry.ts read the process.' }],
      'no-restricted-imports': ['error', { paths: [...TERMINAL_LIBS, ...PROCESS_MODULE], patterns: AWS_SDK }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
    },
  },
  { files: ['src/ui/**/*.ts'], rules: { 'no-restricted-imports': ['error', { paths: PROCESS_MODULE, patterns: AWS_SDK }] } },
  { files: ['src/aws/**/*.ts'], rules: { 'no-restricted-imports': ['error', { paths: [...TERMINAL_LIBS, ...PROCESS_MODULE] }] } },
  {
    // The entry modules (see the top of this file for why there are two).
    files: ['src/cli.ts', 'src/fast-entry.ts'],
    rules: {
      'no-restricted-globals': 'off',
      'no-restricted-properties': 'off',
      'no-restricted-imports': ['error', { paths: TERMINAL_LIBS, patterns: AWS_SDK }],
    },
  },
);
