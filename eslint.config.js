// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Import patterns a folder may not use; keeps the dependency rules of DESIGN.md / docs/adr/0001 true. */
const restrict = (/** @type {{group: string[], message: string}[]} */ patterns) => ({
  'no-restricted-imports': 'off',
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
const EXTENSION = {
  group: ['**/extension/**', '**/extension'],
  message: 'Only extension/ wires chrome.* ; nothing imports it.',
};
const BROWSER_SIDE = {
  group: [
    '**/engines/**',
    '**/assist/**',
    '**/remote/**',
    '**/components/**',
    'lit',
    'lit/*',
    'idb',
    '**/ledger/store*',
    '**/ledger/ledger*',
  ],
  message:
    'The gateway (src/server) imports only router, config, ledger prices and errors: nothing browser-side.',
};
const IO = {
  group: [
    '**/engines/**',
    '**/assist/**',
    '**/remote/**',
    '**/server/**',
    '**/components/**',
    'lit',
    'lit/*',
    'idb',
    'node:*',
    'hono',
    'hono/*',
  ],
  message: 'Pure modules (router, config, privacy, triage head) use no DOM, network, storage or engine.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'custom-elements.json', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
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
      ...restrict([WEBLLM, WLLAMA]),
    },
  },
  { files: ['src/**/*.ts', 'components/**/*.ts'], rules: restrict([WEBLLM, WLLAMA, EXTENSION]) },
  {
    files: [
      'src/router/**/*.ts',
      'src/config/**/*.ts',
      'src/privacy/**/*.ts',
      'src/triage/head/**/*.ts',
      'src/triage/classifier*.ts',
      'src/triage/features*.ts',
      'src/triage/schema*.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: restrict([WEBLLM, WLLAMA, EXTENSION, IO]),
  },
  {
    files: ['src/server/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: restrict([WEBLLM, WLLAMA, EXTENSION, BROWSER_SIDE]),
  },
  { files: ['src/engines/webllm*.ts'], rules: restrict([WLLAMA, EXTENSION]) },
  { files: ['src/engines/wasm*.ts'], rules: restrict([WEBLLM, EXTENSION]) },
  { files: ['extension/**/*.ts'], rules: restrict([WEBLLM, WLLAMA]) },
);
