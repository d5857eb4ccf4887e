/**
 * Native llama.cpp (node-llama-cpp, CPU only) as the physical limit next to the wasm engine.
 *
 * node-llama-cpp is never a dependency of the project: with its optional binaries (CUDA, Vulkan, ARM...)
 * it adds ~730 MB to node_modules. {@link ensureNativeLlama} installs exactly {@link NATIVE_LLAMA_VERSION}
 * on demand into a cache folder outside the repository ({@link nativeCacheDir}) with only this
 * platform's CPU binary (`@node-llama-cpp/linux-x64`, ~29 MB), and {@link measureNative} loads it from
 * there by absolute path. npm skips its postinstall here, so `getLlama({gpu: false, build: 'never'})`
 * uses the prebuilt binary and never tries to compile or download one.
 *
 * The methodology is the one `npm run bench:ondevice` uses on the wasm side (test models have a
 * byte-level vocabulary, so N ASCII bytes are N tokens):
 * - prefillTokPerSec: a cold 64-token prompt, tokens / prompt-evaluation time, median of `runs`;
 * - decodeTokPerSec: 32 generated tokens (greedy, EOS ignored), (n - 1) / (last - first token time);
 * - autocompleteStepMs: a 300-token prefix evaluated first (warm in the context sequence), then the
 *   prefix + 4 more typed characters; time from the request to the 4th generated token, reusing the
 *   evaluated prefix.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EngineUnavailableError } from '../../src/errors.ts';

/** The exact node-llama-cpp release (newer ones fail `npm ci` here). */
export const NATIVE_LLAMA_VERSION = '3.21.1';

/** The one prebuilt binary package installed beside it (CPU, x64 Linux). */
const BINARY_PACKAGE = '@node-llama-cpp/linux-x64';

export const PREFILL_TOKENS = 64;
export const DECODE_TOKENS = 32;
export const PREFIX_TOKENS = 300;
export const TYPED_TOKENS = 4;
export const STEP_TOKENS = 4;

const GREEDY = { temperature: 0, yieldEogToken: true };

export interface NativeMeasurement {
  prefillTokPerSec: number;
  decodeTokPerSec: number;
  autocompleteStepMs: number;
  loadMs: number;
  threads: number;
  version: string;
}

/** `$TIER_ASSIST_CACHE/native`, else `~/.cache/tier-assist/native`. */
export function nativeCacheDir(): string {
  const base = process.env.TIER_ASSIST_CACHE ?? join(homedir(), '.cache', 'tier-assist');
  return join(base, 'native');
}

function installedVersion(dir: string, pkg: string): string | undefined {
  const file = join(dir, 'node_modules', ...pkg.split('/'), 'package.json');
  if (!existsSync(file)) return undefined;
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (
    typeof parsed === 'object' &&
    parsed !== null &&
    'version' in parsed &&
    typeof parsed.version === 'string'
  ) {
    return parsed.version;
  }
  return undefined;
}

/**
 * Installs node-llama-cpp {@link NATIVE_LLAMA_VERSION} and its linux-x64 CPU binary into the cache
 * folder unless they are already there; returns the folder. `log` gets one line per progress step.
 */
export async function ensureNativeLlama(log: (line: string) => void = console.error): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new EngineUnavailableError(
      `The native llama.cpp reference is set up for linux-x64 only (this is ${process.platform}-${process.arch}); run the bench without the native column.`,
    );
  }
  const dir = nativeCacheDir();
  if (
    installedVersion(dir, 'node-llama-cpp') === NATIVE_LLAMA_VERSION &&
    installedVersion(dir, BINARY_PACKAGE) === NATIVE_LLAMA_VERSION
  ) {
    return dir;
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'tier-assist-native-llama',
        private: true,
        description: 'Installed on demand by scripts/lib/native-llama.ts; safe to delete.',
        dependencies: { 'node-llama-cpp': NATIVE_LLAMA_VERSION, [BINARY_PACKAGE]: NATIVE_LLAMA_VERSION },
      },
      null,
      2,
    ) + '\n',
  );
  log(
    `native: installing node-llama-cpp@${NATIVE_LLAMA_VERSION} + ${BINARY_PACKAGE} (CPU only, ~85 MB) into ${dir}`,
  );
  const started = performance.now();
  // --omit=optional keeps the other 13 platform/GPU binaries out; the CPU binary is a direct dependency.
  const args = [
    'install',
    '--omit=optional',
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    '--loglevel=http',
  ];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('npm', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let fetched = 0;
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.includes('GET 200')) {
          fetched++;
          if (fetched % 20 === 0) log(`native: ${fetched} packages fetched...`);
        } else if (/ERR|WARN|added \d+/.test(line)) {
          log(`native: ${line.trim()}`);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (status) => resolve(status ?? 1));
  });
  if (
    code !== 0 ||
    installedVersion(dir, 'node-llama-cpp') !== NATIVE_LLAMA_VERSION ||
    installedVersion(dir, BINARY_PACKAGE) !== NATIVE_LLAMA_VERSION
  ) {
    throw new EngineUnavailableError(
      `Installing node-llama-cpp@${NATIVE_LLAMA_VERSION} into ${dir} failed (npm exit ${code}). Check that the npm registry is reachable, delete the folder and run again.`,
      { data: { dir, code } },
    );
  }
  log(`native: installed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

// ---- the slice of node-llama-cpp's API used here (it is not a dependency, so no types are imported) ----

type Token = number;

interface NativeSequence {
  readonly contextTokens: Token[];
  clearHistory(): Promise<void>;
  eraseContextTokenRanges(ranges: { start: number; end: number }[]): Promise<void>;
  evaluate(
    tokens: Token[],
    options?: { temperature?: number; yieldEogToken?: boolean },
  ): AsyncGenerator<Token, unknown, undefined>;
  evaluateWithoutGeneratingNewTokens(tokens: Token[]): Promise<void>;
}

interface NativeContext {
  getSequence(): NativeSequence;
  dispose(): Promise<void>;
}

interface NativeModel {
  tokenize(text: string, specialTokens?: boolean): Token[];
  createContext(options: {
    contextSize: number;
    batchSize: number;
    threads: number;
    sequences: number;
  }): Promise<NativeContext>;
  dispose(): Promise<void>;
}

interface NativeLlama {
  loadModel(options: { modelPath: string; gpuLayers: number }): Promise<NativeModel>;
  dispose(): Promise<void>;
}

interface NodeLlamaCppModule {
  getLlama(options: {
    gpu: false;
    build: 'never';
    logLevel: string;
    maxThreads: number;
    progressLogs: boolean;
  }): Promise<NativeLlama>;
}

function isNodeLlamaCppModule(value: unknown): value is NodeLlamaCppModule {
  return (
    typeof value === 'object' && value !== null && 'getLlama' in value && typeof value.getLlama === 'function'
  );
}

/** Installs (if needed) and imports node-llama-cpp from the cache folder by absolute path. */
export async function importNativeLlama(log?: (line: string) => void): Promise<NodeLlamaCppModule> {
  const dir = await ensureNativeLlama(log);
  const entry = join(dir, 'node_modules', 'node-llama-cpp', 'dist', 'index.js');
  const mod: unknown = await import(pathToFileURL(entry).href);
  if (!isNodeLlamaCppModule(mod)) {
    throw new EngineUnavailableError(`${entry} does not export getLlama(); delete ${dir} and run again.`);
  }
  return mod;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** Plain ASCII text of exactly `n` bytes (varied, so no piece of a test model's reply repeats). */
export function asciiText(n: number, seed = 0): string {
  const words = [
    'the',
    'ticket',
    'says',
    'refund',
    'order',
    'late',
    'please',
    'help',
    'with',
    'my',
    'account',
  ];
  let out = '';
  let i = seed;
  while (out.length < n) out += `${words[i++ % words.length] ?? 'x'} `;
  return out.slice(0, n);
}

/** Takes `count` tokens from an evaluate() generator, recording when each arrived (ms, performance.now()). */
async function takeTokens(gen: AsyncGenerator<Token, unknown, undefined>, count: number): Promise<number[]> {
  const times: number[] = [];
  for await (const token of gen) {
    void token;
    times.push(performance.now());
    if (times.length >= count) break;
  }
  return times;
}

/**
 * Measures native llama.cpp on the CPU with `o.threads` threads: prefill, decode and the autocomplete
 * step (see the file comment for the exact methodology), medians over `o.runs`.
 */
export async function measureNative(
  modelPath: string,
  o: { threads: number; runs: number; log?: (line: string) => void },
): Promise<NativeMeasurement> {
  const { getLlama } = await importNativeLlama(o.log);
  const llama = await getLlama({
    gpu: false,
    build: 'never',
    logLevel: 'error',
    maxThreads: o.threads,
    progressLogs: false,
  });
  try {
    const loadStart = performance.now();
    const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
    const loadMs = performance.now() - loadStart;
    try {
      const context = await model.createContext({
        contextSize: 1024,
        batchSize: 512,
        threads: o.threads,
        sequences: 1,
      });
      try {
        const seq = context.getSequence();
        const tokens = (text: string): Token[] => model.tokenize(text, false);
        const prefill: number[] = [];
        const decode: number[] = [];
        const step: number[] = [];
        for (let run = 0; run < o.runs; run++) {
          // Prefill: a cold prompt (nothing in the sequence), timed over its evaluation alone.
          await seq.clearHistory();
          const prompt = tokens(asciiText(PREFILL_TOKENS, run));
          const t0 = performance.now();
          await seq.evaluateWithoutGeneratingNewTokens(prompt);
          prefill.push(prompt.length / ((performance.now() - t0) / 1000));

          // Decode: greedy continuation of the same prompt; EOS ignored (yieldEogToken keeps the generator going).
          await seq.clearHistory();
          const times = await takeTokens(seq.evaluate(prompt, GREEDY), DECODE_TOKENS);
          const first = times[0] ?? 0;
          const last = times[times.length - 1] ?? first;
          decode.push((times.length - 1) / ((last - first) / 1000));

          // Autocomplete step: warm a 300-token prefix, then the prefix + 4 typed characters.
          await seq.clearHistory();
          const prefix = asciiText(PREFIX_TOKENS, run + 1);
          await seq.evaluateWithoutGeneratingNewTokens(tokens(prefix));
          const s0 = performance.now();
          const full = tokens(`${prefix}${asciiText(TYPED_TOKENS, run + 7)}`);
          const held = seq.contextTokens;
          let common = 0;
          while (common < held.length && common < full.length && held[common] === full[common]) common++;
          if (common === full.length) common--; // always evaluate at least one token
          if (common < held.length) await seq.eraseContextTokenRanges([{ start: common, end: held.length }]);
          const stepTimes = await takeTokens(seq.evaluate(full.slice(common), GREEDY), STEP_TOKENS);
          step.push((stepTimes[stepTimes.length - 1] ?? s0) - s0);
        }
        return {
          prefillTokPerSec: median(prefill),
          decodeTokPerSec: median(decode),
          autocompleteStepMs: median(step),
          loadMs,
          threads: o.threads,
          version: NATIVE_LLAMA_VERSION,
        };
      } finally {
        await context.dispose();
      }
    } finally {
      await model.dispose();
    }
  } finally {
    await llama.dispose();
  }
}
