/**
 * npm run bench:engine [-- --json] [--runs 5] [--tokens 128] [--cache-mb 200]
 *
 * Measures, in the system Chromium (playwright-core) with the sources served by a Vite dev server:
 * - the wasm engine (wllama, 1 thread) on a generated ~26 MB stories15M-shaped Llama GGUF (dim 288,
 *   6 layers, 6 heads, FFN 768, vocab 32000, Q8_0): decode tokens/s and time to first token, medians
 *   over `--runs` generations of `--tokens` tokens (target >= 50 tok/s);
 * - the model cache (IndexedDB): write MB/s downloading `--cache-mb` MB of synthetic shards (4 files)
 *   from a loopback server (includes fetch + SHA-256 per chunk + IndexedDB writes), and read MB/s
 *   reading them back into memory, with and without per-chunk hash checks (target read >= 300 MB/s).
 * Prints a table; with --json one JSON line last.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { CHROMIUM_ARGS, chromiumPath } from '../test/support/chromium.ts';
import { makeLlamaGguf } from '../test/support/gguf.ts';
import { startModelServer, stopModelServer, type ModelServerHandle } from '../test/support/gguf-server.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    runs: { type: 'string', default: '5' },
    tokens: { type: 'string', default: '128' },
    'cache-mb': { type: 'string', default: '200' },
  },
});
const runs = Number(values.runs);
const tokens = Number(values.tokens);
const cacheMb = Number(values['cache-mb']);
const root = resolve(import.meta.dirname, '..');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

const servers: ModelServerHandle[] = [];
const profile = mkdtempSync(join(tmpdir(), 'tier-assist-bench-engine-'));
const vite = await createServer({
  configFile: false,
  root,
  logLevel: 'silent',
  server: { host: '127.0.0.1', port: 0, hmr: false, watch: null },
  optimizeDeps: { noDiscovery: true, include: [] },
});
await vite.listen();
const address = vite.httpServer?.address();
if (!address || typeof address === 'string') throw new Error('vite did not listen');
const origin = `http://127.0.0.1:${address.port}`;
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath(),
  headless: true,
  args: [...CHROMIUM_ARGS],
});

try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${origin}/src/engines/types.ts`);
  const version = context.browser()?.version() ?? (await page.evaluate('navigator.userAgent'));

  // --- wasm engine on a stories15M-shaped model -------------------------------------------------
  const modelBytes = makeLlamaGguf({
    dim: 288,
    layers: 6,
    heads: 6,
    ff: 768,
    vocab: 32000,
    type: 'q8_0',
    reply: 'Once upon a time, there was a little model that ran in the browser. ',
    loop: true,
    name: 'stories15M-shaped',
  });
  const modelServer = await startModelServer({ bytes: modelBytes, path: '/models/stories15m.gguf' });
  servers.push(modelServer);
  const wasm = (await page.evaluate(`(async () => {
    const { createWasmEngine } = await import('/src/engines/wasm.ts');
    const engine = createWasmEngine({ threads: 1 });
    const t0 = performance.now();
    await engine.load({ id: 'stories15m', label: 'stories15M-shaped', sizeBytes: ${modelBytes.byteLength}, memoryBytes: 0, engine: 'wasm', url: '${modelServer.url}' });
    const loadMs = performance.now() - t0;
    await engine.complete('Warm up', { maxTokens: 16 }).result;
    const out = [];
    for (let i = 0; i < ${runs}; i++) {
      const r = await engine.complete('Once upon a time ' + i, { maxTokens: ${tokens} }).result;
      out.push({ tps: r.timings.decodeTokPerSec, ttft: r.timings.ttftMs, n: r.usage.completionTokens, reason: r.finishReason });
    }
    const threads = engine.threads;
    await engine.unload();
    return { loadMs, out, threads };
  })()`)) as {
    loadMs: number;
    out: { tps: number; ttft: number; n: number; reason: string }[];
    threads: number;
  };

  // --- model cache read/write ---------------------------------------------------------------------
  const shardCount = 4;
  const shardBytes = Math.round((cacheMb * 1024 * 1024) / shardCount);
  const shard = new Uint8Array(shardBytes);
  for (let i = 0; i < shard.length; i += 4096) shard[i] = (i * 2654435761) >>> 24; // not all zeros
  const shardServers: ModelServerHandle[] = [];
  for (let i = 0; i < shardCount; i++) {
    const s = await startModelServer({ bytes: shard, path: `/shards/params_shard_${i}.bin` });
    servers.push(s);
    shardServers.push(s);
  }
  const models = shardServers.map((s, i) => ({
    id: `bench-shard-${i}`,
    label: `shard ${i}`,
    sizeBytes: shardBytes,
    memoryBytes: 0,
    engine: 'webllm',
    url: s.url,
  }));
  const cache = (await page.evaluate(`(async () => {
    const { ModelCache } = await import('/src/engines/model-cache.ts');
    const cache = new ModelCache({ dbName: 'bench-cache' });
    await cache.clear();
    const models = ${JSON.stringify(models)};
    let t = performance.now();
    for (const m of models) await cache.download(m);
    const writeMs = performance.now() - t;
    let bytes = 0;
    t = performance.now();
    for (const m of models) bytes += (await (await cache.read(m.id, { verify: false })).arrayBuffer()).byteLength;
    const readMs = performance.now() - t;
    t = performance.now();
    for (const m of models) await (await cache.read(m.id, { verify: true })).arrayBuffer();
    const readVerifiedMs = performance.now() - t;
    await cache.clear();
    await cache.close();
    return { bytes, writeMs, readMs, readVerifiedMs };
  })()`)) as { bytes: number; writeMs: number; readMs: number; readVerifiedMs: number };

  const MB = 1024 * 1024;
  const result = {
    chromium: version,
    wasmModelMB: +(modelBytes.byteLength / MB).toFixed(1),
    wasmThreads: wasm.threads,
    wasmLoadMs: Math.round(wasm.loadMs),
    wasmTokensPerSec: +median(wasm.out.map((r) => r.tps)).toFixed(1),
    wasmTtftMs: +median(wasm.out.map((r) => r.ttft)).toFixed(1),
    wasmRuns: wasm.out.map((r) => +r.tps.toFixed(1)),
    cacheMB: +(cache.bytes / MB).toFixed(0),
    cacheWriteMBps: +(cache.bytes / MB / (cache.writeMs / 1000)).toFixed(0),
    cacheReadMBps: +(cache.bytes / MB / (cache.readMs / 1000)).toFixed(0),
    cacheReadVerifiedMBps: +(cache.bytes / MB / (cache.readVerifiedMs / 1000)).toFixed(0),
  };
  const rows: [string, string, string][] = [
    ['wasm model', `${result.wasmModelMB} MB (dim 288, 6 layers, vocab 32000, Q8_0)`, ''],
    ['wasm threads', String(result.wasmThreads), ''],
    ['wasm load', `${result.wasmLoadMs} ms`, ''],
    ['wasmTokensPerSec (median)', String(result.wasmTokensPerSec), '>= 50'],
    ['wasmTtftMs (median)', String(result.wasmTtftMs), ''],
    ['cacheWriteMBps', `${result.cacheWriteMBps} (${result.cacheMB} MB in 4 shards)`, ''],
    ['cacheReadMBps', String(result.cacheReadMBps), '>= 300'],
    ['cacheReadVerifiedMBps (SHA-256)', String(result.cacheReadVerifiedMBps), ''],
  ];
  console.log(`bench:engine  (${result.chromium}, ${runs} runs x ${tokens} tokens)`);
  for (const [k, v, target] of rows) console.log(`  ${k.padEnd(34)} ${v.padEnd(48)} ${target}`);
  if (values.json) console.log(JSON.stringify(result));
} finally {
  await context.close();
  await vite.close();
  for (const s of servers) await stopModelServer(s.id);
  rmSync(profile, { recursive: true, force: true });
}
