// @ts-check
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

/**
 * The loop, bottom to top: a file of src may import only from its own layer and the layers below
 * (docs/architecture.md). Folders are `src/<name>`, top-level files `src/<name>.ts`; a folder not
 * here is an error until it gets a place. src/contract and src/service are placed before they exist.
 */
export const LAYERS = [
  ['src/domain'],
  ['src/errors.ts'],
  ['src/stats'],
  ['src/store'],
  ['src/events'],
  ['src/data'],
  ['src/train'],
  ['src/evaluate'],
  ['src/rollout'],
  ['src/serve'],
  ['src/monitor'],
  ['src/retrain'],
  ['src/config'],
  ['src/contract'],
  ['src/service'],
  ['src/worker'],
  ['src/http'],
  ['src/server.ts', 'src/demo.ts', 'src/create-logger.ts'],
  ['src/cli'],
];

/** `src/<folder>` or `src/<file>.ts` for a repository path inside src (a `.js` specifier names its `.ts` file), else null. */
function unitOf(repoPath) {
  const parts = repoPath.split('/');
  if (parts[0] !== 'src' || parts.length < 2) return null;
  if (parts.length === 2) return `src/${parts[1].replace(/\.(?:js|ts|mjs|mts|tsx|jsx)$/, '.ts')}`;
  return `src/${parts[1]}`;
}

/** The repository path (with `/`) of a relative specifier written in `filename`. */
function resolveFrom(filename, specifier) {
  return path.relative(ROOT, path.resolve(path.dirname(filename), specifier)).split(path.sep).join('/');
}

/** The string a module reference names, when it is a literal (a computed `import(x)` cannot be checked). */
function literalSource(node) {
  if (!node) return null;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0].value.cooked;
  return null;
}

/** Calls `check(node, specifier, typeOnly)` for every module reference of a file: imports, re-exports, `import()`, `import('x').T`. */
function moduleReferences(check) {
  return {
    ImportDeclaration: (node) => check(node, node.source.value, node.importKind === 'type'),
    ExportNamedDeclaration: (node) => node.source && check(node, node.source.value, node.exportKind === 'type'),
    ExportAllDeclaration: (node) => check(node, node.source.value, node.exportKind === 'type'),
    ImportExpression: (node) => {
      const s = literalSource(node.source);
      if (s !== null) check(node, s, false);
    },
    TSImportType: (node) => {
      const s = literalSource(node.source ?? node.argument?.literal);
      if (s !== null) check(node, s, true);
    },
  };
}

/** @type {import('eslint').Rule.RuleModule} */
const importsPointDown = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports in src point down the loop (LAYERS in eslint.config.js, docs/architecture.md).' },
    schema: [],
    messages: {
      up: '{{from}} may not import {{to}}: imports point down the loop (domain → … → cli); pass a callback or move the shared piece down (docs/architecture.md)',
      unplaced: '{{unit}} has no place in the loop: add it to LAYERS in eslint.config.js (docs/architecture.md, "Adding a folder")',
    },
  },
  create(context) {
    const from = unitOf(path.relative(ROOT, context.filename).split(path.sep).join('/'));
    if (!from) return {};
    const layer = (unit) => LAYERS.findIndex((units) => units.includes(unit));
    const fromLayer = layer(from);
    if (fromLayer < 0) return { Program: (node) => context.report({ node, messageId: 'unplaced', data: { unit: from } }) };
    return moduleReferences((node, specifier) => {
      if (!specifier.startsWith('.')) return;
      const to = unitOf(resolveFrom(context.filename, specifier));
      if (!to || to === from) return;
      const toLayer = layer(to);
      if (toLayer < 0) context.report({ node, messageId: 'unplaced', data: { unit: to } });
      else if (toLayer > fromLayer) context.report({ node, messageId: 'up', data: { from, to } });
    });
  },
};

/** @type {import('eslint').Rule.RuleModule} */
const typeOnlyFromSrc = {
  meta: {
    type: 'problem',
    docs: { description: 'The dashboard (web/src) may take only types from the server code (src).' },
    schema: [],
    messages: {
      value: 'web/src may import from src only with `import type` (or `export type`): the dashboard is a browser bundle and must not pull server code in (docs/architecture.md)',
    },
  },
  create(context) {
    return moduleReferences((node, specifier, typeOnly) => {
      if (!specifier.startsWith('.') || typeOnly) return;
      if (unitOf(resolveFrom(context.filename, specifier))) context.report({ node, messageId: 'value' });
    });
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'dist-bench/**', 'node_modules/**', 'web/dist/**', 'coverage/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    plugins: { refit: { rules: { 'imports-point-down': importsPointDown, 'type-only-from-src': typeOnlyFromSrc } } },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    rules: { 'refit/imports-point-down': 'error' },
  },
  {
    files: ['web/src/**/*.ts', 'web/src/**/*.tsx'],
    rules: { 'refit/type-only-from-src': 'error' },
  },
  {
    // Plain Node scripts (the bin shim, the benchmark data generator) outside TypeScript.
    files: ['bin/**/*.js', 'bench/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
  },
);
