/**
 * Cross-boundary tests of the engines in a real Chromium driven by playwright-core, with the source
 * served by a Vite dev server (same origin across browser restarts):
 * - the model cache survives a browser restart with the same profile, and the wasm engine then loads
 *   the model offline (the model server refuses every request);
 * - without --enable-unsafe-webgpu there is no adapter and the probe picks the wasm engine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath } from '../support/chromium.ts';
import { TINY_REPLY } from '../support/gguf.ts';
import {
  modelServerStats,
  setModelServerMode,
  startModelServer,
  stopModelServer,
  type ModelServerHandle,
} from '../support/gguf-server.ts';

let vite: ViteDevServer;
let origin: string;

beforeAll(async () => {
  vite = await createServer({
    configFile: false,
    root: join(import.meta.dirname, '../..'),
    logLevel: 'silent',
    server: { host: '127.0.0.1', port: 0, hmr: false, watch: null },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  await vite.listen();
  const address = vite.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('vite did not listen');
  origin = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await vite?.close();
});

async function launch(
  profileDir: string,
  args: readonly string[] = CHROMIUM_ARGS,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath(),
    headless: true,
    args: [...args],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  // Any same-origin document will do: modules are imported with dynamic import() below.
  await page.goto(`${origin}/src/engines/types.ts`);
  return { context, page };
}

describe('model cache across a browser restart', () => {
  let server: ModelServerHandle;
  let profile: string;

  beforeAll(async () => {
    server = await startModelServer();
    profile = mkdtempSync(join(tmpdir(), 'tier-assist-cache-'));
  });
  afterAll(async () => {
    await stopModelServer(server.id);
    rmSync(profile, { recursive: true, force: true });
  });

  it('keeps the downloaded model, and the wasm engine loads it offline after the restart', async () => {
    const model = {
      id: 'tiny.gguf',
      label: 'Tiny',
      sizeBytes: server.sizeBytes,
      memoryBytes: 0,
      engine: 'wasm',
      url: server.url,
    };
    const first = await launch(profile);
    const listed = await first.page.evaluate(`(async () => {
      const { ModelCache } = await import('/src/engines/model-cache.ts');
      const cache = new ModelCache({ dbName: 'restart-test', chunkSize: 16384 });
      await cache.download(${JSON.stringify(model)});
      return cache.list();
    })()`);
    expect(listed).toMatchObject([{ id: 'tiny.gguf', complete: true, storedBytes: server.sizeBytes }]);
    await first.context.close();

    setModelServerMode(server.id, 'refuse');
    const requestsBefore = modelServerStats(server.id).requests;
    const second = await launch(profile);
    const after = (await second.page.evaluate(`(async () => {
      const { ModelCache } = await import('/src/engines/model-cache.ts');
      const { createWasmEngine } = await import('/src/engines/wasm.ts');
      const cache = new ModelCache({ dbName: 'restart-test' });
      const list = await cache.list();
      const verified = await cache.verify('tiny.gguf', 'hash');
      const engine = createWasmEngine({ source: cache });
      const phases = [];
      await engine.load(${JSON.stringify(model)}, { onProgress: (p) => phases.push(p.phase + ':' + p.fromCache) });
      const result = await engine.chat([{ role: 'user', content: 'hi' }]).result;
      await engine.unload();
      return { list, verified, phases, text: result.text };
    })()`)) as { list: { complete: boolean }[]; verified: { ok: boolean }; phases: string[]; text: string };
    await second.context.close();
    expect(after.list).toMatchObject([{ id: 'tiny.gguf', complete: true }]);
    expect(after.verified.ok).toBe(true);
    expect(after.phases).toContain('cache-read:true');
    expect(after.text).toBe(TINY_REPLY);
    expect(modelServerStats(server.id).requests).toBe(requestsBefore);
  });
});

describe('model cache under a real browser quota', () => {
  it('a write the browser refuses mid-download is a QuotaExceededError and leaves nothing behind', async () => {
    const server = await startModelServer();
    const profile = mkdtempSync(join(tmpdir(), 'tier-assist-quota-'));
    const { context, page } = await launch(profile);
    try {
      // Chromium enforces this quota on IndexedDB writes (CDP; the storage key needs the trailing slash),
      // while navigator.storage.estimate() keeps reporting plenty of room: the pre-check passes and
      // the browser refuses a chunk write part-way through the download.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: `${origin}/`, quotaSize: 40 * 1024 });
      const model = {
        id: 'tiny.gguf',
        label: 'Tiny',
        sizeBytes: server.sizeBytes,
        memoryBytes: 0,
        engine: 'wasm',
        url: server.url,
      };
      const out = (await page.evaluate(`(async () => {
        const { ModelCache } = await import('/src/engines/model-cache.ts');
        const cache = new ModelCache({ dbName: 'quota-test', chunkSize: 16384 });
        const error = await cache.download(${JSON.stringify(model)}).then(() => undefined, (e) => ({ name: e.name, code: e.code, data: e.data }));
        return { error, list: await cache.list(), usage: await cache.usage() };
      })()`)) as {
        error?: { code: string; data: { neededBytes: number } };
        list: unknown[];
        usage: { totalBytes: number };
      };
      expect(out.error?.code).toBe('quota_exceeded');
      expect(out.error?.data.neededBytes).toBeGreaterThan(0);
      expect(out.list).toEqual([]);
      expect(out.usage.totalBytes).toBe(0);
      expect(modelServerStats(server.id).requests).toBe(1);
    } finally {
      await context.close();
      await stopModelServer(server.id);
      rmSync(profile, { recursive: true, force: true });
    }
  });
});

describe('capability probe without WebGPU', () => {
  it('finds no adapter and picks the wasm engine, saying why WebLLM was rejected', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'tier-assist-probe-'));
    const { context, page } = await launch(profile, CHROMIUM_ARGS);
    try {
      const out = (await page.evaluate(`(async () => {
        const { probeCapabilities, chooseEngine } = await import('/src/engines/probe.ts');
        const report = await probeCapabilities();
        return { report, choice: chooseEngine(report) };
      })()`)) as {
        report: { webgpu: { available: boolean; reason?: string } };
        choice: { engine: string; model: { id: string }; rejected: { engine: string; reason: string }[] };
      };
      expect(out.report.webgpu.available).toBe(false);
      expect(out.choice.engine).toBe('wasm');
      expect(out.choice.model.id).toBe('Llama-3.2-1B-Instruct-Q4_K_M.gguf');
      expect(out.choice.rejected.find((r) => r.engine === 'webllm')?.reason).toMatch(/WebGPU unavailable/);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
