import { describe, expect, it } from 'vitest';
import { forbiddenPaths, manifestProblems, tscErrors, type TarballContents } from './packaging-scratch.ts';

describe('forbiddenPaths', () => {
  it('flags tests, their source maps, data, screenshots and models, and lets shipped code and its maps through', () => {
    const bad = forbiddenPaths([
      'dist/tier-assist.js',
      'dist/tier-assist.js.map',
      'dist/wllama.wasm',
      'dist/types/components/index.d.ts',
      'test/e2e/gateway.test.ts',
      'dist/chunks/conversation.browser.test.js.map',
      'data/router/routerbench.csv',
      'components/tier-savings/__screenshots__/chart.png',
      'models/tiny.gguf',
    ]);
    expect(bad).toEqual([
      'test/e2e/gateway.test.ts (a test folder)',
      'dist/chunks/conversation.browser.test.js.map (a test file or its source map)',
      'data/router/routerbench.csv (a data folder)',
      'components/tier-savings/__screenshots__/chart.png (a screenshot)',
      'models/tiny.gguf (a model file)',
    ]);
  });
});

describe('tscErrors', () => {
  it('keeps each error with its continuation lines and its path relative to the scratch root', () => {
    const output = [
      "../node_modules/tier-assist/dist/types/src/engines/model-cache.d.ts(16,35): error TS2307: Cannot find module 'idb' or its corresponding type declarations.",
      "negative/wrong-field.ts(10,46): error TS2339: Property 'tierName' does not exist on type 'Decision'.",
      "react/src/main.tsx(40,5): error TS2322: Type '{ gateway: number; }' is not assignable to type 'Props'.",
      "  Types of property 'gateway' are incompatible.",
      'error TS5083: Cannot read file tsconfig.json.',
      'Found 4 errors.',
    ].join('\n');
    expect(tscErrors(output)).toEqual([
      {
        file: 'node_modules/tier-assist/dist/types/src/engines/model-cache.d.ts',
        code: 'TS2307',
        text: expect.stringContaining("'idb'") as string,
      },
      {
        file: 'negative/wrong-field.ts',
        code: 'TS2339',
        text: expect.stringContaining('tierName') as string,
      },
      {
        file: 'react/src/main.tsx',
        code: 'TS2322',
        text: expect.stringMatching(/not assignable[^\n]*\n {2}Types of property 'gateway'/) as string,
      },
      { file: undefined, code: 'TS5083', text: 'error TS5083: Cannot read file tsconfig.json.' },
    ]);
  });

  it('finds no error in a clean run', () => {
    expect(tscErrors('')).toEqual([]);
  });
});

describe('manifestProblems', () => {
  const elements = (manifest: TarballContents['manifest'], files: string[]): TarballContents => ({
    manifest,
    files,
  });
  const gateway: TarballContents = {
    manifest: {
      name: 'tier-assist-gateway',
      exports: { '.': './dist/index.js' },
      bin: { 'tier-assist-gateway': './dist/cli.js' },
    },
    files: ['dist/cli.js', 'dist/index.js'],
  };
  const complete = elements(
    {
      name: 'tier-assist',
      exports: Object.fromEntries(
        ['.', './tier-assist.js', './tier-triage.js', './tier-savings.js', './bundle'].map((k) => [k, k]),
      ),
      customElements: 'dist/custom-elements.json',
      sideEffects: ['./dist/*.js'],
    },
    ['dist/tier-assist.bundle.js', 'dist/custom-elements.json', 'dist/types/components/index.d.ts'],
  );

  it('accepts the contract pack:packages promises', () => {
    expect(manifestProblems({ 'tier-assist': complete, 'tier-assist-gateway': gateway })).toEqual([]);
  });

  it('names what a private package without the bundle, types, entry points or bin lacks', () => {
    const problems = manifestProblems({
      'tier-assist': elements({ name: 'tier-assist', private: true, exports: { '.': './dist/index.js' } }, [
        'dist/index.js',
      ]),
      'tier-assist-gateway': { ...gateway, manifest: { ...gateway.manifest, bin: './dist/cli.js' } },
    });
    expect(problems).toEqual([
      'tier-assist: package.json is private; npm refuses to publish it',
      'tier-assist: exports lack ./tier-assist.js, ./tier-triage.js, ./tier-savings.js, ./bundle',
      'tier-assist: dist/tier-assist.bundle.js is not in the tarball',
      'tier-assist: no .d.ts in the tarball',
      'tier-assist: "customElements" does not name a custom-elements.json inside the tarball',
      'tier-assist: no "sideEffects" field',
      'tier-assist-gateway: no bin named tier-assist-gateway',
    ]);
  });
});
