import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG, withBundledLibs } from '../../extension/shared/models.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const libFile = (libUrl: string | undefined) => libUrl?.split('/').pop() ?? '';

describe('WebLLM model libraries packaged with the extension (store policy: no remote code)', () => {
  const webllm = CATALOG.filter((m) => m.engine === 'webllm');

  it('points only the models whose library is packaged at the extension copy', () => {
    const packaged = libFile(webllm[0]!.libUrl);
    const out = withBundledLibs(CATALOG, [packaged], (path) => `chrome-extension://id/${path}`);
    expect(out.find((m) => m.id === webllm[0]!.id)?.libUrl).toBe(
      `chrome-extension://id/webllm-libs/${packaged}`,
    );
    const other = webllm.find((m) => libFile(m.libUrl) !== packaged)!;
    expect(out.find((m) => m.id === other.id)?.libUrl).toBe(other.libUrl);
    expect(out.filter((m) => m.engine !== 'webllm')).toEqual(CATALOG.filter((m) => m.engine !== 'webllm'));
  });

  it('a build with TIER_ASSIST_WEBLLM_LIBS packages the libraries and loads them from the package', () => {
    const libs = mkdtempSync(join(tmpdir(), 'webllm-libs-'));
    const outDir = mkdtempSync(join(tmpdir(), 'ext-build-'));
    try {
      const name = libFile(webllm[0]!.libUrl);
      writeFileSync(join(libs, name), new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
      const build = spawnSync(
        'npx',
        ['vite', 'build', '--mode', 'extension', '--outDir', outDir, '--logLevel', 'error'],
        {
          cwd: ROOT,
          env: { ...process.env, TIER_ASSIST_WEBLLM_LIBS: libs },
          encoding: 'utf8',
        },
      );
      expect(build.status, build.stderr).toBe(0);
      expect(readFileSync(join(outDir, 'webllm-libs', name))).toHaveLength(8);
      const code = readdirSync(join(outDir, 'assets'))
        .filter((f) => f.endsWith('.js'))
        .map((f) => readFileSync(join(outDir, 'assets', f), 'utf8'))
        .join('\n');
      // The build-time list of packaged libraries (minified as a one-element array literal).
      const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(code).toMatch(new RegExp(`\\[[\`"']${escaped}[\`"']\\]`));
    } finally {
      rmSync(libs, { recursive: true, force: true });
      if (existsSync(outDir)) rmSync(outDir, { recursive: true, force: true });
    }
  });
});
