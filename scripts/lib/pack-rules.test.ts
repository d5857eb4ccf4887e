import { describe, expect, it } from 'vitest';
import { packViolations, rewriteDeclarationSpecifiers, unlistedRegistrations } from './pack-rules.ts';

describe('what a tarball may hold', () => {
  it('lets built code, types, the manifest and the wasm through', () => {
    expect(
      packViolations([
        'package.json',
        'README.md',
        'dist/index.js',
        'dist/chunks/tier-assist-U1kPKpHp.js',
        'dist/assets/webllm-worker-DmViTBVH.js',
        'dist/wllama.wasm',
        'dist/custom-elements.json',
        'dist/types/components/tier-assist/events.d.ts',
        'dist/types/src/ledger/latency.d.ts',
      ]),
    ).toEqual([]);
  });

  it('names each test, data, screenshot and source-map path', () => {
    const found = packViolations([
      'dist/index.js',
      'test/e2e/gateway.test.ts',
      'dist/types/src/server/app.test.d.ts',
      'data/router/routerbench.csv',
      'components/tier-savings/__screenshots__/dark.png',
      'dist/index.js.map',
      'docs/screenshot-demo.webp',
      'dist/model.gguf',
    ]);
    expect(found.map((v) => v.path)).toEqual([
      'test/e2e/gateway.test.ts',
      'dist/types/src/server/app.test.d.ts',
      'data/router/routerbench.csv',
      'components/tier-savings/__screenshots__/dark.png',
      'dist/index.js.map',
      'docs/screenshot-demo.webp',
      'dist/model.gguf',
    ]);
    expect(found[0]?.what).toBe('a test folder');
    expect(found[4]?.what).toBe('a source map');
  });
});

describe('declaration specifiers', () => {
  it("rewrites relative '.ts' imports, re-exports and import() types to '.js', nothing else", () => {
    const input = [
      "import type { Tier } from '../../src/config/schemas.ts';",
      "export type * from './tier-assist/events.ts';",
      'export { TierAssist } from "./tier-assist/tier-assist.ts";',
      "declare const x: import('./a.ts').A;",
      "import { LitElement } from 'lit';",
      "import type { z } from 'zod/v4/core.ts';",
    ].join('\n');
    expect(rewriteDeclarationSpecifiers(input).split('\n')).toEqual([
      "import type { Tier } from '../../src/config/schemas.js';",
      "export type * from './tier-assist/events.js';",
      'export { TierAssist } from "./tier-assist/tier-assist.js";',
      "declare const x: import('./a.js').A;",
      "import { LitElement } from 'lit';",
      "import type { z } from 'zod/v4/core.ts';",
    ]);
  });
});

describe('registrations kept as side effects', () => {
  it('names a file that defines an element but no sideEffects pattern covers', () => {
    const define = 'customElements.define("tier-x", X)';
    const files = [
      { path: 'dist/index.js', text: 'import "./chunks/tier-assist-1.js"' },
      { path: 'dist/chunks/tier-assist-1.js', text: define },
      { path: 'dist/chunks/panel-2.js', text: define },
      { path: 'dist/chunks/nested/tier-y.js', text: define },
      { path: 'dist/chunks/markdown-3.js', text: 'export const md = 1' },
    ];
    expect(unlistedRegistrations(files, ['./dist/*.js', './dist/chunks/tier-*.js'])).toEqual([
      'dist/chunks/panel-2.js',
      'dist/chunks/nested/tier-y.js',
    ]);
    expect(
      unlistedRegistrations(files, ['./dist/*.js', './dist/chunks/*.js', './dist/chunks/nested/*.js']),
    ).toEqual([]);
  });
});
