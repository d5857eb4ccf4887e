/**
 * npm run bench:ondevice [-- --json] [--shapes a,b] [--type q4_0|q4_k|q8_0|f16|f32] [--runs 3] [--skip-native]
 *                        [--paths wasm-1,wasm-N,webgpu,native]
 *
 * On-device speed at real model sizes (issue 13), in the system Chromium next to native llama.cpp, on
 * synthetic GGUFs of the real shapes (scripts/lib/bench-models.ts generates them once into
 * `$TIER_ASSIST_CACHE/models` or `~/.cache/tier-assist/models`; speed depends on shape and weight
 * type, not on values). Per shape and per path it prints prefillTokPerSec, decodeTokPerSec and
 * autocompleteStepMs, medians of the runs:
 *
 * - wasm 1 thread: the wasm engine in a page that is NOT cross-origin isolated (what a plain page gets);
 * - wasm N threads: the same engine in a page served with COOP same-origin + COEP require-corp, so
 *   `crossOriginIsolated` is true and wllama gets SharedArrayBuffer (N = the engine's default there);
 * - CPU widening: a shape whose catalog model widens its weights to F32 on the CPU (SmolLM2, `cpuWiden`)
 *   is loaded from its Q8_0 file through the engine as the product does (widening time is in "load s"),
 *   rows `wasm-N f32` and `wasm-1 f32`; beside each, `wasm-N q8` / `wasm-1 q8` load the same file with
 *   `widen: 'off'`, so the ratio can be quoted;
 * - GGUF on WebGPU: the wasm engine asked to offload layers (Chromium with --enable-unsafe-webgpu);
 *   when llama.cpp's WebGPU backend refuses the adapter (it does on SwiftShader), the row says
 *   "refused" with the engine's placement note instead of figures;
 * - native: node-llama-cpp 3.21.1 on the CPU, same file, same thread count (scripts/lib/native-llama.ts).
 *
 * Methodology (identical to the native runner; the generated vocabulary is byte-level, so N ASCII
 * bytes are N tokens, and tied-embedding models never stop early):
 * - prefillTokPerSec: a cold 64-token prompt; the engine's prompt-evaluation rate when it reports one
 *   (timings.prefillTokPerSec), else prompt tokens / time to first token;
 * - decodeTokPerSec: 32 generated tokens, (n - 1) / (last token time - first token time), from the
 *   streamed deltas;
 * - autocompleteStepMs: a 300-token prefix evaluated first (warm in the KV cache), then the prefix +
 *   4 more typed characters; time from the request to the 4th streamed token. Each run types 4
 *   different characters after the same warm prefix (successive keystrokes); `cachedTokens` says how
 *   much of the prompt the engine reused.
 *
 * Top level: ghostTextModel (src/engines/defaults.ts chooses it for this browser), ghostTextStepMs (its
 * wasm-N-threads step, widened as the product runs it; ghostTextStepMsUnwidened: the same file left in
 * Q8_0), classifyMs (a 60-token ticket through `<tier-triage>`'s classifier head in its
 * worker, the starter model), llmClassifyMs (engine.classify over the starter labels on the ghost-text
 * shape and on the 1B shape, when the engine has classify), llama1bThreads and the wasm/native ratios.
 *
 * Default run (about 20 minutes on the 2-core machine, plus generating the models once):
 * smollm2-135m (Q8_0, as the catalog ships it) with 3 runs on every path; llama-3.2-1b (Q4_K) with
 * 1 run on wasm 1 thread, 2 runs elsewhere; llama-3.2-3b (Q4_K) on wasm N threads, GGUF on WebGPU
 * (refused here right after the load) and native, 1 run. --shapes / --type / --runs change that
 * (--runs caps the big shapes' runs). The model is unloaded and its page closed between paths.
 * Figures are noisy on a shared machine: read medians and ratios.
 */
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { createServer, type Plugin } from 'vite';
import { CHROMIUM_ARGS, WEBGPU_ARGS, chromiumPath } from '../test/support/chromium.ts';
import {
  BENCH_SHAPES,
  benchModelDir,
  ensureBenchModel,
  isBenchShape,
  isBenchType,
  widensOnCpu,
  type BenchModel,
  type BenchShapeName,
  type BenchType,
} from './lib/bench-models.ts';
import {
  DECODE_TOKENS,
  PREFILL_TOKENS,
  PREFIX_TOKENS,
  STEP_TOKENS,
  TYPED_TOKENS,
  asciiText,
  measureNative,
} from './lib/native-llama.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    shapes: { type: 'string' },
    type: { type: 'string' },
    runs: { type: 'string', default: '3' },
    'skip-native': { type: 'boolean', default: false },
    paths: { type: 'string' },
  },
});
const runs = Math.max(1, Number(values.runs));
if (values.type !== undefined && !isBenchType(values.type))
  throw new Error(`--type must be q4_0, q4_k, q8_0, f16 or f32 (got ${values.type})`);
const typeOverride = values.type as BenchType | undefined;
const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

type PathName = 'wasm-1' | 'wasm-N' | 'webgpu' | 'native';

/**
 * One row of a shape: a path, and for a shape the engine widens on the CPU, which weights (`f32`: the
 * product's widened load; `q8`: the same file with widening off). Its key labels the row and the JSON.
 */
interface Row {
  path: PathName;
  key: string;
  widen: 'auto' | 'off';
}

/** The rows of a path on a shape: wasm paths of a widening shape run widened, then unwidened. */
function rowsOf(plan: ShapePlan, path: PathName): Row[] {
  if (!widensOnCpu(plan.name, plan.type) || (path !== 'wasm-1' && path !== 'wasm-N'))
    return [{ path, key: path, widen: 'auto' }];
  const unwidened = plan.type === 'q8_0' ? 'q8' : plan.type;
  return [
    { path, key: `${path} f32`, widen: 'auto' },
    { path, key: `${path} ${unwidened}`, widen: 'off' },
  ];
}

interface ShapePlan {
  name: BenchShapeName;
  type: BenchType;
  paths: PathName[];
  runs: Partial<Record<PathName, number>>;
}

/** The catalog's types: SmolLM2 ships in Q8_0, the Llama files in Q4_K_M. */
const DEFAULT_TYPE: Record<BenchShapeName, BenchType> = {
  'smollm2-135m': 'q8_0',
  'smollm2-360m': 'q8_0',
  'qwen2.5-0.5b': 'q4_k',
  'llama-3.2-1b': 'q4_k',
  'llama-3.2-3b': 'q4_k',
};

const PATHS: readonly PathName[] = ['wasm-1', 'wasm-N', 'webgpu', 'native'];
const onlyPaths = values.paths?.split(',').map((p) => p.trim());
for (const p of onlyPaths ?? [])
  if (!(PATHS as readonly string[]).includes(p))
    throw new Error(`unknown path ${p}: one of ${PATHS.join(', ')}`);

/** The default plan of a shape, narrowed to --paths when given. */
function planFor(name: BenchShapeName): ShapePlan {
  const plan = defaultPlan(name);
  return onlyPaths ? { ...plan, paths: plan.paths.filter((p) => onlyPaths.includes(p)) } : plan;
}

function defaultPlan(name: BenchShapeName): ShapePlan {
  const type = typeOverride ?? DEFAULT_TYPE[name];
  const all = [...PATHS];
  if (name === 'llama-3.2-3b')
    return { name, type, paths: ['wasm-N', 'webgpu', 'native'], runs: { 'wasm-N': 1, webgpu: 1, native: 1 } };
  if (name === 'llama-3.2-1b') {
    const r = Math.min(runs, 2);
    return { name, type, paths: all, runs: { 'wasm-1': 1, 'wasm-N': r, webgpu: r, native: r } };
  }
  return { name, type, paths: all, runs: { 'wasm-1': runs, 'wasm-N': runs, webgpu: runs, native: runs } };
}

const requested = (values.shapes ?? 'smollm2-135m,llama-3.2-1b,llama-3.2-3b')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const s of requested)
  if (!isBenchShape(s)) throw new Error(`unknown shape ${s}: one of ${Object.keys(BENCH_SHAPES).join(', ')}`);
const plans = (requested as BenchShapeName[]).map(planFor);
const skipNative = values['skip-native'] === true;

// ---- the page side -------------------------------------------------------------------------------

interface PathFigures {
  threads: number;
  loadMs: number;
  /** The weight type llama.cpp reported for the loaded file ('all F32' when widened). */
  weightType: string | null;
  prefillTokPerSec: number;
  decodeTokPerSec: number;
  autocompleteStepMs: number;
  cachedTokens: number | null;
  placement: unknown;
  classifyMs?: number | null;
  classifyNote?: string;
}

type PathResult = PathFigures | { refused: string; loadMs: number; placement: unknown } | { error: string };

const root = resolve(import.meta.dirname, '..');
const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
} as const;

/**
 * Pages and model files on the Vite dev server: `/__bench/plain.html` (not isolated),
 * `/__bench/isolated.html` (COOP + COEP), `/__bench/models/<file>` (the cache folder, with Range).
 * Every response carries CORP and COEP, so an isolated page may load it and start workers from it.
 */
function benchRoutes(): Plugin {
  const models = benchModelDir();
  return {
    name: 'bench-ondevice-routes',
    configureServer(server) {
      server.middlewares.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
        res.setHeader('cross-origin-resource-policy', 'cross-origin');
        // Workers of an isolated page need COEP on their own script too; harmless on the plain page.
        res.setHeader('cross-origin-embedder-policy', 'require-corp');
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (path === '/__bench/plain.html' || path === '/__bench/isolated.html') {
          const headers: Record<string, string> = { 'content-type': 'text/html' };
          if (path.endsWith('isolated.html')) Object.assign(headers, ISOLATION);
          res
            .writeHead(200, headers)
            .end('<!doctype html><meta charset="utf-8"><title>bench:ondevice</title>');
          return;
        }
        if (path.startsWith('/__bench/models/')) {
          const file = resolve(models, basename(path));
          let size: number;
          try {
            size = statSync(file).size;
          } catch {
            res.writeHead(404).end();
            return;
          }
          const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
          const start = range ? Number(range[1]) : 0;
          const end = range?.[2] ? Number(range[2]) : size - 1;
          const headers = {
            'content-type': 'application/octet-stream',
            'content-length': String(end - start + 1),
            'accept-ranges': 'bytes',
            'access-control-allow-origin': '*',
            ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
          };
          res.writeHead(range ? 206 : 200, headers);
          createReadStream(file, { start, end }).pipe(res);
          return;
        }
        next();
      });
    },
  };
}

/** The page script: load, measure the three figures, optionally classify, unload. A string (tsx + evaluate). */
function pageScript(o: {
  url: string;
  sizeBytes: number;
  id: string;
  threads: number | null;
  gpu: boolean;
  widen: 'auto' | 'off';
  cpuWiden: boolean;
  memoryBytes: number;
  runs: number;
  prefill: string[];
  prefix: string;
  typed: string[];
  classify: { text: string; labels: string[] } | null;
}): string {
  return `(async () => {
    const o = ${JSON.stringify(o)};
    const { createWasmEngine } = await import('/src/engines/wasm.ts');
    const options = {};
    if (o.threads !== null) options.threads = o.threads;
    // 'off' keeps the CPU paths on the CPU even where 'auto' would offload; 'on' offers every layer.
    options.gpu = o.gpu ? 'on' : 'off';
    // 'auto' widens a model that opts in (cpuWiden) as the product does; 'off' loads the file as it is.
    options.widen = o.widen;
    // Response.blob() lets Chromium keep a large model on disk; a Blob assembled from hundreds of MB of
    // fetched chunks (the engine's plain download) fails to read back (NotReadableError) at 1B size.
    // (The widened F32 file is never such a Blob: the engine computes it as llama.cpp reads it.)
    options.source = { open: async (m) => (await fetch(m.url)).blob() };
    const engine = createWasmEngine(options);
    const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = Math.floor(s.length / 2); return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
    const t0 = performance.now();
    const model = { id: o.id, label: o.id, sizeBytes: o.sizeBytes, memoryBytes: o.memoryBytes, engine: 'wasm', url: o.url };
    if (o.cpuWiden) model.cpuWiden = 'f32';
    await engine.load(model);
    const loadMs = performance.now() - t0;
    const weightType = engine.weightType ?? null;
    console.log('[bench] loaded in ' + (loadMs / 1000).toFixed(1) + ' s, ' + engine.threads + ' thread(s), weights ' + weightType + '; ' + (engine.placement ? engine.placement.note : ''));
    const placement = engine.placement ?? null;
    if (o.gpu && (!placement || placement.device !== 'gpu')) {
      await engine.unload();
      return { refused: placement ? placement.note : 'the engine reports no placement (no GPU path in this build)', loadMs, placement };
    }
    const timed = async (text, maxTokens) => {
      const start = performance.now();
      const times = [];
      const stream = engine.complete(text, { maxTokens, temperature: 0 });
      for await (const d of stream) if (d) times.push(performance.now());
      const result = await stream.result;
      return { start, times, result };
    };
    const prefill = [], decode = [], step = [];
    let cachedTokens = null;
    for (let run = 0; run < o.runs; run++) {
      const p = await timed(o.prefill[run], 1);
      const t = p.result.timings;
      prefill.push(t.prefillTokPerSec ?? p.result.usage.promptTokens / (t.ttftMs / 1000));
      const d = await timed(o.prefill[run], ${DECODE_TOKENS});
      const n = d.times.length;
      decode.push(n > 1 ? (n - 1) / ((d.times[n - 1] - d.times[0]) / 1000) : d.result.timings.decodeTokPerSec);
    }
    console.log('[bench] prefill ' + prefill.map((x) => x.toFixed(1)) + ' tok/s, decode ' + decode.map((x) => x.toFixed(1)) + ' tok/s');
    await timed(o.prefix, 1); // warm the 300-token prefix
    for (let run = 0; run < o.runs; run++) {
      const s = await timed(o.prefix + o.typed[run], ${STEP_TOKENS});
      step.push((s.times[${STEP_TOKENS - 1}] ?? s.times[s.times.length - 1] ?? performance.now()) - s.start);
      if (s.result.timings.cachedTokens !== undefined) cachedTokens = s.result.timings.cachedTokens;
      console.log('[bench] step detail: first ' + (s.times[0] - s.start).toFixed(0) + ' ms, then ' + s.times.slice(1).map((x, i) => (x - s.times[i]).toFixed(0)).join('/') + ' ms; ' + JSON.stringify(s.result.timings));
    }
    console.log('[bench] step ' + step.map((x) => x.toFixed(0)) + ' ms');
    let classifyMs = null, classifyNote;
    if (o.classify) {
      if (typeof engine.classify === 'function') {
        // Warm up on another ticket: the instruction may stay cached (as in use), the ticket may not.
        await engine.classify('Where is my parcel? It was due on Monday and has not arrived yet.', o.classify.labels);
        const c0 = performance.now();
        await engine.classify(o.classify.text, o.classify.labels);
        classifyMs = performance.now() - c0;
      } else classifyNote = 'the engine has no classify()';
    }
    const threads = engine.threads;
    await engine.unload();
    return { threads, loadMs, weightType, placement, cachedTokens, classifyMs, classifyNote,
      prefillTokPerSec: median(prefill), decodeTokPerSec: median(decode), autocompleteStepMs: median(step) };
  })()`;
}

/** The triage classifier head in its worker (what `<tier-triage>` runs first), starter model. */
function classifierScript(text: string, runs: number): string {
  return `(async () => {
    const { TriageWorkerClient } = await import('/src/triage/worker-client.ts');
    const model = (await import('/src/triage/starter-model.json')).default;
    const client = new TriageWorkerClient();
    const { labels } = await client.request('load', { model });
    await client.request('predict', { text: ${JSON.stringify(text)}, k: 3 });
    const times = [];
    let label;
    for (let i = 0; i < ${runs}; i++) {
      const t0 = performance.now();
      const p = await client.request('predict', { text: ${JSON.stringify(text)}, k: 3 });
      times.push(performance.now() - t0);
      label = p.label;
    }
    times.sort((a, b) => a - b);
    return { ms: times[Math.floor(times.length / 2)], label, labels };
  })()`;
}

/** The ghost-text model src/engines/defaults.ts picks for this browser (isolated page). */
const GHOST_SCRIPT = `(async () => {
  const { probeCapabilities } = await import('/src/engines/probe.ts');
  const defaults = await import('/src/engines/defaults.ts').catch(() => null);
  if (!defaults || typeof defaults.chooseGhostTextModel !== 'function') return null;
  const report = await probeCapabilities();
  const c = defaults.chooseGhostTextModel(report, [], { crossOriginIsolated: self.crossOriginIsolated });
  return { id: c.model.id, label: c.model.label, engine: c.engine, device: c.device, threads: c.threads ?? null, reason: c.reason };
})()`;

/** A support ticket of exactly 60 ASCII bytes (60 tokens in the generated vocabulary). */
const TICKET = 'I was charged twice for my order, please refund the extra.'.padEnd(60, ' ');

// ---- the run -------------------------------------------------------------------------------------

function ghostShape(id: string): { name: BenchShapeName; type: BenchType } | undefined {
  const type: BenchType | undefined = /q8_0/i.test(id)
    ? 'q8_0'
    : /q4_k/i.test(id)
      ? 'q4_k'
      : /q4_0/i.test(id)
        ? 'q4_0'
        : undefined;
  const name: BenchShapeName | undefined = /smollm2-135m/i.test(id)
    ? 'smollm2-135m'
    : /smollm2-360m/i.test(id)
      ? 'smollm2-360m'
      : /llama-3\.2-1b/i.test(id)
        ? 'llama-3.2-1b'
        : /llama-3\.2-3b/i.test(id)
          ? 'llama-3.2-3b'
          : /qwen2\.5-0\.5b/i.test(id)
            ? 'qwen2.5-0.5b'
            : undefined;
  return name && type ? { name, type } : undefined;
}

const fmt = (n: number | null | undefined, digits = 1): string =>
  n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);
const ratio = (a: number | undefined, b: number | undefined): number | null =>
  a !== undefined && b !== undefined && b > 0 ? +(a / b).toFixed(3) : null;

async function main(): Promise<void> {
  const vite = await createServer({
    configFile: false,
    root,
    logLevel: 'silent',
    plugins: [benchRoutes()],
    server: { host: '127.0.0.1', port: 0, hmr: false, watch: null },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  await vite.listen();
  const address = vite.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('vite did not listen');
  const origin = `http://127.0.0.1:${address.port}`;
  // A persistent profile: an incognito context keeps blobs in memory only, and reading a model blob
  // of several hundred MB back then fails (NotReadableError); with a profile Chromium spills to disk.
  const profile = mkdtempSync(join(tmpdir(), 'tier-assist-bench-ondevice-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_ARGS, ...WEBGPU_ARGS],
  });
  const started = new Date();
  const loadAtStart = loadavg()[0] ?? 0;

  const inPage = async <T>(isolated: boolean, script: string): Promise<T> => {
    const page = await context.newPage();
    try {
      page.on('console', (m) => {
        if (m.text().startsWith('[bench] ')) log(`    ${m.text().slice(8)}`);
      });
      await page.goto(`${origin}/__bench/${isolated ? 'isolated' : 'plain'}.html`);
      const coi = (await page.evaluate('self.crossOriginIsolated')) as boolean;
      if (coi !== isolated) throw new Error(`page crossOriginIsolated=${coi}, expected ${isolated}`);
      return (await page.evaluate(script)) as T;
    } finally {
      await page.close();
    }
  };

  try {
    const chromiumVersion = context.browser()?.version() ?? 'chromium';
    // Ghost-text model and classifier head first (cheap).
    const ghostChoice = await inPage<{
      id: string;
      label: string;
      engine: string;
      device: string;
      threads: number | null;
      reason: string;
    } | null>(true, GHOST_SCRIPT);
    const ghost = ghostChoice ? ghostShape(ghostChoice.id) : undefined;
    const ghostTarget = ghost ?? { name: 'smollm2-135m' as const, type: DEFAULT_TYPE['smollm2-135m'] };
    const ghostNote = !ghostChoice
      ? 'src/engines/defaults.ts has no chooseGhostTextModel: the smollm2-135m shape stands in'
      : ghost
        ? undefined
        : `the chosen model (${ghostChoice.id}) has no bench shape: the smollm2-135m shape stands in`;
    // The ghost-text model's step is a headline figure: measure it even when the shape was not asked
    // for, unless --shapes / --paths narrowed the run on purpose.
    const narrowed = values.shapes !== undefined || onlyPaths !== undefined;
    if (!narrowed && !plans.some((p) => p.name === ghostTarget.name && p.type === ghostTarget.type)) {
      plans.unshift({
        name: ghostTarget.name,
        type: ghostTarget.type,
        paths: ['wasm-N'],
        runs: { 'wasm-N': runs },
      });
    }
    const classifier = await inPage<{ ms: number; label: string; labels: string[] }>(
      true,
      classifierScript(TICKET, 9),
    );
    log(`classifier head: ${classifier.ms.toFixed(1)} ms -> ${classifier.label}`);

    const results: {
      plan: ShapePlan;
      model: BenchModel;
      /** By row key (the path, or e.g. `wasm-N f32` / `wasm-N q8` on a shape widened on the CPU). */
      paths: Partial<
        Record<string, PathResult | (Awaited<ReturnType<typeof measureNative>> & { runs: number })>
      >;
    }[] = [];
    for (const plan of plans) {
      const model = await ensureBenchModel(plan.name, plan.type, log);
      const url = `${origin}/__bench/models/${basename(model.path)}`;
      const entry: (typeof results)[number] = { plan, model, paths: {} };
      results.push(entry);
      let wasmThreads = 0;
      for (const path of plan.paths) {
        const r = plan.runs[path] ?? runs;
        if (path === 'native') {
          if (skipNative) continue;
          const threads = wasmThreads || 2;
          log(`${plan.name} ${plan.type}: native, ${threads} threads, ${r} run(s)`);
          try {
            const native = await measureNative(model.path, { threads, runs: r, log });
            entry.paths.native = { ...native, runs: r };
            log(
              `    prefill ${native.prefillTokPerSec.toFixed(1)} tok/s, decode ${native.decodeTokPerSec.toFixed(1)} tok/s, step ${native.autocompleteStepMs.toFixed(0)} ms`,
            );
          } catch (error) {
            entry.paths.native = { error: error instanceof Error ? error.message : String(error) };
          }
          continue;
        }
        const isGhost = plan.name === ghostTarget.name && plan.type === ghostTarget.type;
        const catalogModel = widensOnCpu(plan.name, plan.type);
        for (const row of rowsOf(plan, path)) {
          log(`${plan.name} ${plan.type}: ${row.key}, ${r} run(s)`);
          // Label scoring on the product's row only (the widened one where the shape widens).
          const wantsClassify =
            path === 'wasm-N' && row.widen === 'auto' && (isGhost || plan.name === 'llama-3.2-1b');
          try {
            const result = await inPage<PathResult>(
              path !== 'wasm-1',
              pageScript({
                url,
                sizeBytes: model.sizeBytes,
                id: basename(model.path),
                threads: path === 'wasm-1' ? 1 : null,
                gpu: path === 'webgpu',
                widen: row.widen,
                cpuWiden: catalogModel !== undefined,
                memoryBytes: catalogModel?.memoryBytes ?? 0,
                runs: r,
                prefill: Array.from({ length: r }, (_, i) => asciiText(PREFILL_TOKENS, i)),
                prefix: asciiText(PREFIX_TOKENS, 1),
                typed: Array.from({ length: r }, (_, i) => asciiText(TYPED_TOKENS, i + 7)),
                classify: wantsClassify ? { text: TICKET, labels: classifier.labels } : null,
              }),
            );
            if (path === 'wasm-N' && 'threads' in result) wasmThreads = result.threads;
            entry.paths[row.key] = result;
          } catch (error) {
            const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
            log(`    error: ${message}`);
            entry.paths[row.key] = { error: message };
          }
        }
      }
    }

    // ---- report ----------------------------------------------------------------------------------
    const MB = 1024 * 1024;
    const load = {
      start: +loadAtStart.toFixed(2),
      end: +(loadavg()[0] ?? 0).toFixed(2),
      cores: cpus().length,
    };
    console.log(
      `bench:ondevice  (${chromiumVersion}, ${started.toISOString()}; medians; load average ${load.start} -> ${load.end} on ${load.cores} cores)`,
    );
    // Native llama.cpp's threads spin-wait for each other: with other work on the cores its figures
    // collapse (a 1B decode of 7 tok/s instead of 30 was seen at load ~5), and every ratio with them.
    if (Math.max(load.start, load.end) > load.cores)
      console.log(
        `  WARNING: the load average exceeded the ${load.cores} cores during this run; its figures (native most of all) are not comparable. Re-run on a quiet machine.`,
      );
    console.log(
      `  ${'shape'.padEnd(14)} ${'type'.padEnd(5)} ${'MB'.padStart(6)} ${'path'.padEnd(10)} ${'thr'.padStart(3)} ${'runs'.padStart(4)} ${'load s'.padStart(7)} ${'prefill'.padStart(8)} ${'decode'.padStart(7)} ${'step ms'.padStart(8)} ${'cached'.padStart(6)} weights`,
    );
    for (const { plan, model, paths } of results) {
      for (const row of plan.paths.flatMap((p) => rowsOf(plan, p))) {
        const r = paths[row.key];
        const head = `  ${plan.name.padEnd(14)} ${plan.type.padEnd(5)} ${(model.sizeBytes / MB).toFixed(0).padStart(6)} ${row.key.padEnd(10)}`;
        if (!r) continue;
        if ('error' in r) console.log(`${head} error: ${r.error}`);
        else if ('refused' in r) console.log(`${head} refused: ${r.refused}`);
        else {
          const cached = 'cachedTokens' in r ? r.cachedTokens : null;
          const weights = 'weightType' in r ? (r.weightType ?? '-') : '';
          console.log(
            `${head} ${String(r.threads).padStart(3)} ${String(plan.runs[row.path] ?? runs).padStart(4)} ${fmt(r.loadMs / 1000).padStart(7)} ${fmt(r.prefillTokPerSec).padStart(8)} ${fmt(r.decodeTokPerSec).padStart(7)} ${fmt(r.autocompleteStepMs, 0).padStart(8)} ${String(cached ?? '-').padStart(6)} ${weights}`,
          );
        }
      }
      if (model.realBytes)
        console.log(
          `  ${''.padEnd(14)} size ${(model.sizeBytes / MB).toFixed(0)} MB vs the real file's ${(model.realBytes / MB).toFixed(0)} MB (${((model.sizeBytes / model.realBytes) * 100).toFixed(0)}%)`,
        );
    }

    /** A row's figures; `widened`: the product's row where the shape widens on the CPU, or the other. */
    const figures = (
      name: BenchShapeName,
      type: BenchType | undefined,
      path: PathName,
      widened = true,
    ): PathFigures | undefined => {
      const e = results.find((x) => x.plan.name === name && (type === undefined || x.plan.type === type));
      const row = e ? rowsOf(e.plan, path).find((x) => (x.widen === 'auto') === widened) : undefined;
      const r = e && row ? e.paths[row.key] : undefined;
      return r && 'prefillTokPerSec' in r && 'placement' in r ? r : undefined;
    };
    const nativeOf = (name: BenchShapeName) => {
      const r = results.find((x) => x.plan.name === name)?.paths.native;
      return r && 'version' in r ? r : undefined;
    };
    const ghostFig = figures(ghostTarget.name, ghostTarget.type, 'wasm-N');
    const ghostUnwidened = widensOnCpu(ghostTarget.name, ghostTarget.type)
      ? figures(ghostTarget.name, ghostTarget.type, 'wasm-N', false)
      : undefined;
    const l1 = figures('llama-3.2-1b', undefined, 'wasm-N');
    const l1native = nativeOf('llama-3.2-1b');
    const summary = {
      loadAverage: load,
      ghostTextModel: ghostChoice
        ? {
            ...ghostChoice,
            shape: ghostTarget.name,
            type: ghostTarget.type,
            ...(ghostNote ? { note: ghostNote } : {}),
          }
        : { shape: ghostTarget.name, type: ghostTarget.type, note: ghostNote },
      ghostTextStepMs: ghostFig ? Math.round(ghostFig.autocompleteStepMs) : null,
      ghostTextWeights: ghostFig?.weightType ?? null,
      ghostTextLoadMs: ghostFig ? Math.round(ghostFig.loadMs) : null,
      ghostTextStepMsUnwidened: ghostUnwidened ? Math.round(ghostUnwidened.autocompleteStepMs) : null,
      ghostTextLoadMsUnwidened: ghostUnwidened ? Math.round(ghostUnwidened.loadMs) : null,
      classifyMs: +classifier.ms.toFixed(2),
      classifyLabel: classifier.label,
      llmClassifyMs: {
        ghostText: ghostFig?.classifyMs ?? null,
        llama1b: l1?.classifyMs ?? null,
        ...(ghostFig?.classifyNote ? { note: ghostFig.classifyNote } : {}),
      },
      llama1bThreads: l1?.threads ?? null,
      llama1bWasmToNativeDecode: ratio(l1?.decodeTokPerSec, l1native?.decodeTokPerSec),
      llama1bWasmToNativePrefill: ratio(l1?.prefillTokPerSec, l1native?.prefillTokPerSec),
    };
    const target = (ok: boolean | null): string => (ok === null ? '' : ok ? 'meets target' : 'MISSES target');
    console.log('');
    console.log(
      `  ghostTextModel             ${ghostChoice ? `${ghostChoice.id} (${ghostChoice.engine}, ${ghostChoice.device})` : '-'} -> shape ${ghostTarget.name} ${ghostTarget.type}${ghostNote ? ` (${ghostNote})` : ''}`,
    );
    console.log(
      `  ghostTextStepMs            ${fmt(summary.ghostTextStepMs, 0).padEnd(10)} target <= 200  ${target(summary.ghostTextStepMs === null ? null : summary.ghostTextStepMs <= 200)}${summary.ghostTextWeights ? ` (weights ${summary.ghostTextWeights})` : ''}`,
    );
    if (summary.ghostTextStepMsUnwidened !== null)
      console.log(
        `  ghostTextStepMsUnwidened   ${fmt(summary.ghostTextStepMsUnwidened, 0).padEnd(10)} (the same file left in ${ghostTarget.type}; load ${fmt((summary.ghostTextLoadMsUnwidened ?? NaN) / 1000)} s against ${fmt((summary.ghostTextLoadMs ?? NaN) / 1000)} s widened)`,
      );
    console.log(
      `  classifyMs                 ${fmt(summary.classifyMs, 2).padEnd(10)} target <= 200  ${target(summary.classifyMs <= 200)} (label ${classifier.label})`,
    );
    console.log(
      `  llmClassifyMs              ghost text ${fmt(summary.llmClassifyMs.ghostText, 0)}, 1B ${fmt(summary.llmClassifyMs.llama1b, 0)}${ghostFig?.classifyNote ? ` (${ghostFig.classifyNote})` : ''}  (no target on CPU)`,
    );
    const decodeOk =
      summary.llama1bWasmToNativeDecode === null
        ? null
        : summary.llama1bWasmToNativeDecode >= 0.35 && (summary.llama1bThreads ?? 0) >= 2;
    console.log(
      `  llama1bWasmToNativeDecode  ${fmt(summary.llama1bWasmToNativeDecode, 3).padEnd(10)} target >= 0.35 with >= 2 threads (${summary.llama1bThreads ?? '-'})  ${target(decodeOk)}`,
    );
    console.log(
      `  llama1bWasmToNativePrefill ${fmt(summary.llama1bWasmToNativePrefill, 3).padEnd(10)} (no target yet)`,
    );
    if (values.json) {
      console.log(
        JSON.stringify({
          ...summary,
          chromium: chromiumVersion,
          date: started.toISOString(),
          shapes: results.map(({ plan, model, paths }) => ({
            shape: plan.name,
            type: plan.type,
            sizeBytes: model.sizeBytes,
            realBytes: model.realBytes ?? null,
            runs: plan.runs,
            paths,
          })),
        }),
      );
    }
  } finally {
    await context.close();
    await vite.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

await main();
