/**
 * Cross-origin isolation end to end (docs/isolation.md), in real Chromium against a real gateway process
 * (test/support/gateway.ts, like `npm start`; run `npm run build:components` first):
 * - the demo pages the gateway serves are cross-origin isolated (COOP same-origin + COEP require-corp)
 *   and still work;
 * - an isolated page on another origin can still embed the components, load an icon with a plain tag
 *   and call the gateway's /v1 API;
 * - the wasm engine (a build of src/engines/wasm.ts, served from a second origin like a CDN would) runs a
 *   generation on a generated GGUF with 2+ threads in the isolated page, and on one thread, with a note
 *   that says why, in a page that is not isolated.
 */
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build, type Rolldown } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { TINY_REPLY } from '../support/gguf.ts';
import { startModelServer, stopModelServer, type ModelServerHandle } from '../support/gguf-server.ts';
import { startStaticServer, type StaticServer } from '../support/static-server.ts';

const ROOT = resolve(import.meta.dirname, '../..');

let gateway: RunningGateway;
let browser: Browser;
/** Serves the engine build (module + wllama.wasm) and the "embedding site" pages. */
let cdn: StaticServer;
let model: ModelServerHandle;

/** src/engines/wasm.ts as one ES module plus its wllama.wasm (resolved next to the module). */
async function buildWasmEngine(): Promise<{ fileName: string; body: string | Uint8Array }[]> {
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    root: ROOT,
    publicDir: false,
    base: './',
    build: {
      write: false,
      target: 'es2022',
      minify: false,
      sourcemap: false,
      lib: { entry: resolve(ROOT, 'src/engines/wasm.ts'), formats: ['es'], fileName: 'wasm-engine' },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  return outputs.flatMap((o) =>
    o.output.map((file) => ({
      fileName: file.fileName,
      body: file.type === 'chunk' ? file.code : file.source,
    })),
  );
}

const ISOLATED_SITE_PAGE = (gatewayUrl: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>embedding site</title>
<script type="module" src="${gatewayUrl}/components/tier-assist.js"></script></head>
<body><img id="icon" alt="" src="${gatewayUrl}/icons/icon-48.png"><main>
<tier-assist gateway="${gatewayUrl}/" tiers="local"></tier-assist></main></body></html>`;

beforeAll(async () => {
  const files = await buildWasmEngine();
  cdn = await startStaticServer([
    // An embedding site that isolates itself (the headers docs/isolation.md asks for).
    (req, res) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/isolated-site.html') return false;
      res
        .writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cross-origin-opener-policy': 'same-origin',
          'cross-origin-embedder-policy': 'require-corp',
        })
        .end(ISOLATED_SITE_PAGE(gateway.url));
      return true;
    },
  ]);
  for (const file of files)
    cdn.set(
      `/engine/${file.fileName}`,
      file.body,
      file.fileName.endsWith('.wasm') ? 'application/wasm' : 'text/javascript',
    );
  cdn.set('/plain.html', '<!doctype html><html lang="en"><title>not isolated</title></html>');
  [gateway, model, browser] = await Promise.all([
    startGateway(),
    startModelServer({ loop: true }),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([gateway?.stop(), cdn?.close(), model && stopModelServer(model.id)]);
});

async function open(url: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error('[page error]', error.message));
  await page.goto(url);
  return page;
}

interface EngineRun {
  isolated: boolean;
  text: string;
  threads: number;
  placement: { device: string; threads?: number; note: string } | null;
}

/**
 * Page side of {@link runEngine}: the wasm engine with its defaults, on the generated model, one
 * completion. A string, because the test runner rewrites a dynamic import() in a function it is given.
 */
const RUN_ENGINE = `async ({ engineUrl, modelUrl, sizeBytes }) => {
  const { WasmEngine } = await import(engineUrl);
  const engine = new WasmEngine();
  await engine.load({ id: 'tiny', label: 'Tiny', sizeBytes, memoryBytes: 0, engine: 'wasm', url: modelUrl });
  const result = await engine.complete('Hi', { maxTokens: 12, temperature: 0 }).result;
  const run = {
    isolated: crossOriginIsolated,
    text: result.text,
    threads: engine.threads,
    placement: engine.placement ? { ...engine.placement } : null,
  };
  await engine.unload();
  return run;
}`;

/** Loads the wasm engine (built from src/engines/wasm.ts, served by `cdn`) in `page` and generates. */
function runEngine(page: Page): Promise<EngineRun> {
  const args = {
    engineUrl: `${cdn.url}/engine/wasm-engine.js`,
    modelUrl: model.url,
    sizeBytes: model.sizeBytes,
  };
  return page.evaluate(`(${RUN_ENGINE})(${JSON.stringify(args)})`) as Promise<EngineRun>;
}

describe('cross-origin isolation', () => {
  it('serves the demo pages isolated (COOP + COEP), and they still render their components', async () => {
    const res = await fetch(`${gateway.url}/`);
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    for (const [path, element] of [
      ['/', 'tier-assist'],
      ['/triage.html', 'tier-triage'],
      ['/savings.html', 'tier-savings'],
    ] as const) {
      const page = await open(`${gateway.url}${path}`);
      await page.waitForFunction((name) => customElements.get(name) !== undefined, element);
      const state = await page.evaluate((name) => {
        const el = document.querySelector(name);
        return {
          isolated: crossOriginIsolated,
          sharedMemory: typeof SharedArrayBuffer === 'function',
          rendered: (el?.shadowRoot?.childElementCount ?? 0) > 0,
        };
      }, element);
      expect(state, path).toEqual({ isolated: true, sharedMemory: true, rendered: true });
      await page.close();
    }
  });

  it('lets an isolated page on another origin embed the components, load an icon and call /v1', async () => {
    // CORP + CORS on the static files; the API keeps its per-origin CORS (127.0.0.1 is allowed by default).
    const component = await fetch(`${gateway.url}/components/tier-assist.js`);
    expect(component.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(component.headers.get('access-control-allow-origin')).toBe('*');
    const page = await open(`${cdn.url}/isolated-site.html`);
    await page.locator('tier-assist textarea').waitFor();
    const state = await page.evaluate(async (gatewayUrl) => {
      const icon = document.getElementById('icon') as HTMLImageElement;
      await icon.decode().catch(() => undefined);
      const tiers = await fetch(`${gatewayUrl}/v1/tiers`);
      return {
        isolated: crossOriginIsolated,
        iconWidth: icon.naturalWidth,
        tiersStatus: tiers.status,
        tiers: ((await tiers.json()) as { tiers: { tier: string }[] }).tiers.map((t) => t.tier),
      };
    }, gateway.url);
    expect(state).toEqual({ isolated: true, iconWidth: 48, tiersStatus: 200, tiers: ['mid', 'frontier'] });
    await page.close();
  });

  it('runs a generation on 2 or more threads in the isolated demo page', async () => {
    const page = await open(`${gateway.url}/`);
    const run = await runEngine(page);
    expect(run.isolated).toBe(true);
    expect(run.text).toContain(TINY_REPLY.slice(0, 5));
    expect(run.threads).toBeGreaterThanOrEqual(2);
    expect(run.placement?.device).toBe('cpu');
    expect(run.placement?.threads).toBeGreaterThanOrEqual(2);
    await page.close();
  });

  it('still answers in a page that is not isolated, on one thread, and says why it is slower', async () => {
    const page = await open(`${cdn.url}/plain.html`);
    const run = await runEngine(page);
    expect(run.isolated).toBe(false);
    expect(run.text).toContain(TINY_REPLY.slice(0, 5));
    expect(run.threads).toBe(1);
    expect(run.placement?.threads).toBe(1);
    expect(run.placement?.note).toMatch(/isolat/i);
    await page.close();
  });
});
