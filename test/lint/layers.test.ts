/**
 * The layout rules of docs/adr/0001-layout-and-dependency-rules.md really hold: each case plants one
 * violation in a temporary file inside the folder it is about and asserts that ESLint, with the
 * project's own eslint.config.js, rejects it with the rule that owns it; a clean file in the same folder
 * passes. The same goes for the typecheck of the pure core and the gateway (tsconfig.pure.json,
 * tsconfig.server.json): no DOM, no chrome. Temporary files are removed even when a case fails.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const planted: string[] = [];

/** Writes `source` to a new file in `folder` (repository path) and returns its absolute path. */
function plant(folder: string, source: string): string {
  const dir = join(ROOT, folder);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    planted.push(dir);
  }
  const file = join(dir, `zz-lint-probe-${randomUUID().slice(0, 8)}.ts`);
  planted.push(file);
  writeFileSync(file, source);
  return file;
}

afterEach(() => {
  for (const path of planted.splice(0).reverse()) rmSync(path, { force: true, recursive: true });
});

describe('lint holds the layers (eslint.config.js)', () => {
  let eslint: ESLint;
  beforeAll(() => {
    eslint = new ESLint({ cwd: ROOT });
  });

  /** The rules that reject `source` planted in `folder` (empty when it passes). */
  async function rejections(folder: string, source: string): Promise<string[]> {
    const [result] = await eslint.lintFiles([plant(folder, source)]);
    return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
  }

  const violations: { name: string; folder: string; source: string; rule: string }[] = [
    // The four cases issue 14 names.
    {
      name: 'a bare folder import of the engines from the router',
      folder: 'src/router',
      source: "export * from '../engines';\n",
      rule: 'layers/imports',
    },
    {
      name: 'document in the router',
      folder: 'src/router',
      source: 'export const title = document.title;\n',
      rule: 'no-restricted-globals',
    },
    {
      name: 'chrome.* in a component',
      folder: 'components',
      source: 'export const id = chrome.runtime.id;\n',
      rule: 'no-restricted-globals',
    },
    {
      name: "the gateway re-exporting the IndexedDB ledger through '../ledger'",
      folder: 'src/server',
      source: "export { Ledger } from '../ledger';\n",
      rule: 'layers/imports',
    },
    // Each other rule of ADR 0001.
    {
      name: 'a pure module reaching a global through globalThis',
      folder: 'src/privacy',
      source: 'export const db = globalThis.indexedDB;\n',
      rule: 'no-restricted-properties',
    },
    {
      name: 'network in the pure core',
      folder: 'src/config',
      source: "export const answer = fetch('/x');\n",
      rule: 'no-restricted-globals',
    },
    {
      name: 'a dynamic import of an engine from the pure core',
      folder: 'src/router',
      source: "export const load = () => import('../engines/index.ts');\n",
      rule: 'layers/imports',
    },
    {
      name: 'a type-only import of the remote client from the pure core',
      folder: 'src/privacy',
      source: "import type { Channel } from '../remote/index.ts';\nexport type Remote = Channel;\n",
      rule: 'layers/imports',
    },
    {
      name: 'a Node built-in in the pure core',
      folder: 'src/router',
      source: "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n",
      rule: 'layers/imports',
    },
    {
      name: 'a package other than zod in the pure core',
      folder: 'src/privacy',
      source: "import { openDB } from 'idb';\nexport const open = openDB;\n",
      rule: 'layers/imports',
    },
    {
      name: 'window in the gateway',
      folder: 'src/server',
      source: 'export const width = window.innerWidth;\n',
      rule: 'no-restricted-globals',
    },
    {
      name: 'a browser package in the gateway',
      folder: 'src/server',
      source: "import { openDB } from 'idb';\nexport const open = openDB;\n",
      rule: '@typescript-eslint/no-restricted-imports',
    },
    {
      name: 'the browser core importing the gateway',
      folder: 'src/assist',
      source: "export * from '../server/app.ts';\n",
      rule: 'layers/imports',
    },
    {
      name: 'chrome.* in src/',
      folder: 'src/engines',
      source: 'export const id = chrome.runtime.id;\n',
      rule: 'no-restricted-globals',
    },
    {
      name: 'src/ importing the extension',
      folder: 'src/autocomplete',
      source: "export * from '../../extension/shared/messaging.ts';\n",
      rule: 'layers/imports',
    },
    {
      name: 'a component importing the extension',
      folder: 'components',
      source: "export * from '../extension/shared';\n",
      rule: 'layers/imports',
    },
    {
      name: 'web-llm outside its engine file',
      folder: 'src/engines',
      source: "export * from '@mlc-ai/web-llm';\n",
      rule: '@typescript-eslint/no-restricted-imports',
    },
    {
      name: 'vitest in a shipped src/ file',
      folder: 'src/server',
      source: "import { vi } from 'vitest';\nexport const mock = vi.fn;\n",
      rule: 'no-restricted-imports',
    },
    {
      name: 'a test helper imported by a shipped src/ file',
      folder: 'src/assist',
      source: "export * from '../../test/support/upstream.ts';\n",
      rule: 'layers/imports',
    },
    {
      name: 'one extension entry point importing another',
      folder: 'extension/sidepanel',
      source: "export { runJob } from '../background/jobs.ts';\n",
      rule: 'layers/imports',
    },
    {
      name: 'an entry point importing another through its folder',
      folder: 'extension/offscreen',
      source: "export * from '../background';\n",
      rule: 'layers/imports',
    },
    {
      name: 'a new extension folder (not yet an entry point) importing an entry point',
      folder: 'extension/zz-lint-new-entry',
      source: "export * from '../background/jobs.ts';\n",
      rule: 'layers/imports',
    },
    {
      name: 'shared extension code importing an entry point',
      folder: 'extension/shared',
      source: "export * from '../popup/index.ts';\n",
      rule: 'layers/imports',
    },
  ];

  it('rejects a typeof import() of the remote client from the pure core (src/router)', async () => {
    const source = "export type Remote = typeof import('../remote/index.ts');\n";
    expect(await rejections('src/router', source)).toContain('layers/imports');
  });

  for (const { name, folder, source, rule } of violations) {
    it(`rejects ${name} (${folder})`, async () => {
      expect(await rejections(folder, source)).toEqual([rule]);
    });
  }

  const clean: { folder: string; source: string }[] = [
    {
      folder: 'src/router',
      source:
        "import { z } from 'zod';\nexport { parse } from '../config/index.ts';\nexport const s = z.string();\n",
    },
    {
      folder: 'src/server',
      source: "export { PRICES } from '../ledger/prices.ts';\nexport * from '../router';\n",
    },
    { folder: 'src/assist', source: "export * from '../engines';\nexport * from '../ledger/index.ts';\n" },
    {
      folder: 'components',
      source: "export * from '../src/router/index.ts';\nexport const d = document.title;\n",
    },
    {
      folder: 'extension/sidepanel',
      source: "export { JOB_KEY } from '../shared/jobs.ts';\nexport const id = chrome.runtime.id;\n",
    },
    { folder: 'extension/shared', source: "export * from '../../components/tier-triage/tier-triage.ts';\n" },
  ];

  for (const { folder, source } of clean) {
    it(`passes what ${folder} may do`, async () => {
      expect(await rejections(folder, source)).toEqual([]);
    });
  }

  it('typechecks exactly the files it calls pure in tsconfig.pure.json', async () => {
    const config = (await eslint.calculateConfigForFile(join(ROOT, 'src/router/index.ts'))) as {
      rules: Record<string, [unknown, { allow: string[] }]>;
    };
    const pure = config.rules['layers/imports']![1].allow;
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.pure.json'), 'utf8')) as {
      include: string[];
    };
    const asTs = (entry: string) => entry.replace(/\/$/, '');
    expect([...tsconfig.include].sort()).toEqual(
      pure
        .filter((p) => !p.endsWith('.json'))
        .map(asTs)
        .sort(),
    );
  });
});

describe('the pure core and the gateway typecheck without DOM or chrome types', () => {
  /** TypeScript's errors for `source` planted in `folder`, under the compiler options of `tsconfigFile`. */
  function typeErrors(tsconfigFile: string, folder: string, source: string): string[] {
    const parsed = ts.getParsedCommandLineOfConfigFile(
      join(ROOT, tsconfigFile),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        },
      },
    )!;
    const file = plant(folder, source);
    const program = ts.createProgram([file], parsed.options);
    return ts
      .getPreEmitDiagnostics(program, program.getSourceFile(file))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }

  const probe = (imports: string) =>
    `${imports}\nexport const title: string = document.title;\nexport const id: string = chrome.runtime.id;\n`;

  it('tsconfig.pure.json: document and chrome are unknown names in src/router', () => {
    const errors = typeErrors(
      'tsconfig.pure.json',
      'src/router',
      probe("import { z } from 'zod';\nexport const s = z.string();"),
    );
    expect(errors).toEqual([
      expect.stringMatching(/Cannot find name 'document'/),
      expect.stringMatching(/Cannot find name 'chrome'/),
    ]);
  });

  it('tsconfig.server.json: document and chrome are unknown names in src/server', () => {
    const errors = typeErrors(
      'tsconfig.server.json',
      'src/server',
      probe("import { Hono } from 'hono';\nexport const app = new Hono();"),
    );
    expect(errors).toEqual([
      expect.stringMatching(/Cannot find name 'document'/),
      expect.stringMatching(/Cannot find name 'chrome'/),
    ]);
  });

  it('the root tsconfig.json (editors) still knows both', () => {
    expect(typeErrors('tsconfig.json', 'src/router', probe(''))).toEqual([]);
  });
});
