// @ts-check
/**
 * The `layers/imports` rule: holds the dependency rules of docs/adr/0001-layout-and-dependency-rules.md
 * by where an import really lands, not by how its specifier is spelled. Every relative specifier
 * (import, `import type`, `export ... from`, `export * from`, dynamic `import()`, `typeof import()`) is
 * resolved the way the bundler resolves it (a bare folder such as `'../engines'` to its `index.ts`, a
 * path without extension to its `.ts` file) and the resulting repository path must be in the layer's
 * `allow` list and not in its `deny` list. A layer that lists `packages` may import only those packages
 * (`'zod'` also admits `'zod/mini'`); without the list, package specifiers are left to
 * `no-restricted-imports`.
 *
 * List entries are repository paths: `'src/router/'` (a folder and everything under it) or
 * `'src/errors.ts'` (one file).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(fileURLToPath(import.meta.url));
const EXTENSIONS = ['.ts', '.tsx', '.js', '.mjs'];

/** Where `spec`, imported from `file`, lands: a repository path with `/` separators. */
export function resolveImport(/** @type {string} */ file, /** @type {string} */ spec) {
  const base = resolve(dirname(file), spec);
  const isFile = (/** @type {string} */ p) => existsSync(p) && statSync(p).isFile();
  const candidates = [
    base,
    ...EXTENSIONS.map((ext) => base + ext),
    ...EXTENSIONS.map((ext) => join(base, `index${ext}`)),
  ];
  const found = candidates.find(isFile);
  // A path that does not exist yet still belongs to the folder it names (TypeScript reports it missing).
  return relative(ROOT, found ?? base)
    .split(sep)
    .join('/');
}

const within = (/** @type {string} */ target, /** @type {string[]} */ entries) =>
  entries.some((entry) => (entry.endsWith('/') ? target.startsWith(entry) : target === entry));

/** @type {import('eslint').Rule.RuleModule} */
const importsRule = {
  meta: {
    type: 'problem',
    docs: {
      description: 'A layer imports only the layers ADR 0001 allows it (bare folder imports included).',
    },
    schema: [
      {
        type: 'object',
        properties: {
          layer: { type: 'string' },
          allow: { type: 'array', items: { type: 'string' } },
          deny: { type: 'array', items: { type: 'string' } },
          packages: { type: 'array', items: { type: 'string' } },
          reason: { type: 'string' },
        },
        required: ['layer', 'allow', 'reason'],
        additionalProperties: false,
      },
    ],
    messages: {
      outside: "'{{spec}}' resolves to {{target}}, which {{layer}} may not import. {{reason}}",
      package: "'{{spec}}' is not a package {{layer}} may import (only {{packages}}). {{reason}}",
    },
  },
  create(context) {
    const { layer, allow, deny = [], packages, reason } = context.options[0];
    /** @param {import('estree').Node | null | undefined} source */
    const check = (source) => {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const spec = source.value;
      if (!spec.startsWith('.')) {
        /** @type {string[] | undefined} */
        const allowed = packages;
        if (!allowed || allowed.some((name) => spec === name || spec.startsWith(`${name}/`))) return;
        const data = { spec, layer, packages: allowed.join(', ') || 'none', reason };
        context.report({ node: source, messageId: 'package', data });
        return;
      }
      const target = resolveImport(context.filename, spec);
      if (within(target, allow) && !within(target, deny)) return;
      context.report({ node: source, messageId: 'outside', data: { spec, target, layer, reason } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      /** `typeof import('...')` and `import x = require('...')` (TypeScript nodes, not in estree's types). */
      TSImportType: (/** @type {{argument: {type: string, literal?: import('estree').Node}}} */ node) =>
        check(node.argument.type === 'TSLiteralType' ? node.argument.literal : undefined),
      TSExternalModuleReference: (/** @type {{expression: import('estree').Node}} */ node) =>
        check(node.expression),
    };
  },
};

export default { meta: { name: 'layers' }, rules: { imports: importsRule } };
