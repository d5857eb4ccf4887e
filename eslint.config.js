// @ts-check
/**
 * Lint, including the layout rules of docs/adr/0001-layout-and-dependency-rules.md. Three kinds of rule
 * hold the layers, each set per folder below:
 * - `layers/imports` (eslint.layers.js): which folders a layer may import, by where the import resolves
 *   (so a bare folder `'../engines'` counts as `src/engines/index.ts`);
 * - `@typescript-eslint/no-restricted-imports`: which packages a layer may import;
 * - `no-restricted-globals` / `no-restricted-properties`: which browser globals a layer may touch.
 * test/lint/layers.test.ts plants one violation of each and checks that this config rejects it.
 */
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layers from './eslint.layers.js';

/** Package patterns a folder may not import (relative paths are `layers/imports`' job). */
const packages = (/** @type {{group: string[], message: string}[]} */ patterns) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
});

const WEBLLM = {
  group: ['@mlc-ai/web-llm', '@mlc-ai/web-llm/*'],
  message: 'Only src/engines/webllm*.ts may import @mlc-ai/web-llm.',
};
const WLLAMA = {
  group: ['@wllama/wllama', '@wllama/wllama/*'],
  message: 'Only src/engines/wasm*.ts may import @wllama/wllama.',
};
const TEST_TOOLS = {
  group: ['vitest', 'vitest/*', '@vitest/*', 'playwright-core', 'playwright-core/*'],
  message:
    'Test code lives in *.test.ts files and test/support/ (ADR 0001); src/, components/ and extension/ ship.',
};
/** Test tools get a rule of their own, so that the per-folder package lists need not repeat them. */
const noTestTools = () => ({ 'no-restricted-imports': ['error', { patterns: [TEST_TOOLS] }] });
const BROWSER_PACKAGES = {
  group: ['lit', 'lit/*', 'idb', '@webcomponents/*', 'dompurify', 'marked'],
  message: 'The gateway (src/server) runs on Node or an edge runtime: no browser-side package (ADR 0001).',
};

/**
 * The pure core (ADR 0001 rule 1): runs unchanged in a page, a worker, Node and the gateway. Folders end
 * with `/`. tsconfig.pure.json typechecks the same files without DOM, Node or chrome types.
 */
const PURE = [
  'src/router/',
  'src/config/',
  'src/privacy/',
  'src/errors.ts',
  'src/csv.ts',
  'src/prng.ts',
  'src/triage/classifier.ts',
  'src/triage/features.ts',
  'src/triage/hidden.ts',
  'src/triage/schema.ts',
  'src/triage/ticket.ts',
  'src/ledger/prices.ts',
  'src/ledger/prices.json',
  'src/ledger/money.ts',
  'src/ledger/record.ts',
  'src/ledger/rollup.ts',
  'src/ledger/summary.ts',
  'src/ledger/export.ts',
  'src/ledger/latency.ts',
  'src/ledger/what-if.ts',
  'src/ledger/learning-curve.ts',
  'src/ledger/expected-quality.ts',
  'src/autocomplete/prefix-window.ts',
  'src/autocomplete/suggestion.ts',
];
const PURE_FILES = PURE.map((p) => (p.endsWith('/') ? `${p}**/*.ts` : p)).filter((p) => p.endsWith('.ts'));

/** Extension entry points (manifest.json and vite.config.ts): each imports only itself and extension/shared/. */
const ENTRY_POINTS = ['background', 'content', 'offscreen', 'options', 'popup', 'sidepanel'];

const TESTS = ['**/*.test.ts'];

const layer = (
  /** @type {string} */ name,
  /** @type {string[]} */ allow,
  /** @type {string} */ reason,
  /** @type {string[]} */ deny = [],
  /** @type {string[] | undefined} */ packages = undefined,
) => ({ 'layers/imports': ['error', { layer: name, allow, deny, reason, ...(packages && { packages }) }] });

/** Browser globals no pure or server module may touch; the pure core also gives up network and Node's. */
const PAGE_GLOBALS = [
  'window',
  'document',
  'navigator',
  'location',
  'history',
  'customElements',
  'localStorage',
  'sessionStorage',
  'indexedDB',
  'caches',
  'chrome',
];
const NETWORK_GLOBALS = ['fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'process', 'Buffer'];
const globalsRule = (/** @type {string[]} */ names, /** @type {string} */ why) => ({
  'no-restricted-globals': ['error', ...names.map((name) => ({ name, message: `${name}: ${why}` }))],
  'no-restricted-properties': [
    'error',
    ...['globalThis', 'self', 'window'].flatMap((object) =>
      names.map((property) => ({ object, property, message: `${property}: ${why}` })),
    ),
  ],
});
const CHROME_ONLY_IN_EXTENSION = globalsRule(
  ['chrome'],
  'only extension/ touches chrome.* (ADR 0001 rule 3); take what you need as a parameter.',
);

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'packages/*/dist/**',
      'node_modules/**',
      'coverage/**',
      'custom-elements.json',
      '.cache/**',
    ],
  },
  // Scratch-app templates: `npm run test:packaging` type-checks them against the packed packages instead.
  { ignores: ['test/packaging/apps/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    plugins: { layers },
    languageOptions: {
      parserOptions: { projectService: false },
      globals: {
        window: 'readonly',
        document: 'readonly',
        navigator: 'readonly',
        console: 'readonly',
        process: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        Response: 'readonly',
        Request: 'readonly',
        Headers: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        performance: 'readonly',
        chrome: 'readonly',
        indexedDB: 'readonly',
        crypto: 'readonly',
        Blob: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
        self: 'readonly',
        globalThis: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-dynamic-delete': 'off',
      'no-undef': 'off',
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name=/^(describe|it|test)$/][callee.property.name='only']",
          message: 'No .only in committed tests.',
        },
      ],
      ...packages([WEBLLM, WLLAMA]),
    },
  },

  // Globals: chrome.* only in extension/ (its own tests in test/extension drive a real extension).
  {
    files: ['src/**/*.ts', 'components/**/*.ts', 'public/**/*.ts', 'scripts/**/*.ts'],
    rules: CHROME_ONLY_IN_EXTENSION,
  },
  {
    files: PURE_FILES,
    ignores: TESTS,
    rules: globalsRule(
      [...PAGE_GLOBALS, ...NETWORK_GLOBALS],
      'the pure core has no DOM, storage, network or Node (ADR 0001 rule 1); take it as a parameter.',
    ),
  },
  {
    files: ['src/server/**/*.ts'],
    ignores: TESTS,
    rules: globalsRule(
      PAGE_GLOBALS,
      'the gateway runs on Node or an edge runtime, never in a page (ADR 0001 rule 4).',
    ),
  },

  // Packages: the engines own their libraries; shipped code imports no test tool.
  { files: ['src/engines/webllm*.ts'], rules: packages([WLLAMA]) },
  { files: ['src/engines/wasm*.ts'], rules: packages([WEBLLM]) },
  { files: ['src/server/**/*.ts'], ignores: TESTS, rules: packages([WEBLLM, WLLAMA, BROWSER_PACKAGES]) },
  {
    files: ['src/**/*.ts', 'components/**/*.ts', 'extension/**/*.ts'],
    ignores: TESTS,
    rules: noTestTools(),
  },

  // Size: no function over 80 lines where issue 14 split the god functions (the cascade, the gateway, the
  // components); a longer one is a sign a concern wants its own module.
  {
    files: ['src/assist/**/*.ts', 'src/server/**/*.ts', 'components/**/*.ts'],
    ignores: TESTS,
    rules: { 'max-lines-per-function': ['error', { max: 80 }] },
  },

  // Imports between folders: each layer lists what it may import. Tests beside the code are not a layer.
  {
    files: ['src/**/*.ts'],
    ignores: TESTS,
    rules: layer(
      'src/',
      ['src/'],
      'The core never imports components/, extension/, test/ or the gateway (ADR 0001 rules 3, 4, 6).',
      ['src/server/'],
    ),
  },
  {
    files: PURE_FILES,
    ignores: TESTS,
    rules: layer(
      'the pure core',
      PURE,
      'Pure modules import only other pure modules and zod: no engine, DOM framework, storage, network or Node (ADR 0001 rule 1).',
      [],
      ['zod'],
    ),
  },
  {
    files: ['src/server/**/*.ts'],
    ignores: TESTS,
    rules: layer(
      'the gateway (src/server)',
      ['src/server/', ...PURE],
      'The gateway imports only itself and the pure core: nothing browser-side (ADR 0001 rule 4).',
    ),
  },
  {
    files: ['components/**/*.ts'],
    ignores: TESTS,
    rules: layer(
      'components/',
      ['components/', 'src/'],
      'Components build on src/ only, never extension/ or the gateway (ADR 0001 rule 3).',
      ['src/server/'],
    ),
  },
  {
    // A folder of extension/ not listed below (a new entry point) may import only shared code until it is.
    files: ['extension/**/*.ts'],
    ignores: TESTS,
    rules: layer(
      'an extension folder not in ENTRY_POINTS (eslint.config.js)',
      ['extension/shared/', 'src/', 'components/'],
      'Add a new entry point to ENTRY_POINTS; entry points share code only through extension/shared/ (ADR 0001 rule 7).',
      ['src/server/'],
    ),
  },
  {
    files: ['extension/shared/**/*.ts'],
    ignores: TESTS,
    rules: layer(
      'extension/shared/',
      ['extension/shared/', 'src/', 'components/'],
      'Shared extension code never imports an entry point (ADR 0001 rule 7).',
      ['src/server/'],
    ),
  },
  ...ENTRY_POINTS.map((entry) => ({
    files: [`extension/${entry}/**/*.ts`],
    ignores: TESTS,
    rules: layer(
      `extension/${entry}/`,
      [`extension/${entry}/`, 'extension/shared/', 'src/', 'components/'],
      'Entry points never import each other: move what two of them need to extension/shared/ (ADR 0001 rule 7).',
      ['src/server/'],
    ),
  })),
);
