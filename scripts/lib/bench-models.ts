/**
 * Real-size model shapes for on-device benchmarks (issue 13), generated on demand with synthetic
 * weights by test/support/gguf.ts and cached OUTSIDE the repository (`$TIER_ASSIST_CACHE/models`,
 * else `~/.cache/tier-assist/models`): speed depends on shape and weight type, not on weight values,
 * so these files run at the speed of the catalog's real files without anyone downloading them.
 *
 * File names carry the shape, the weight type and {@link GENERATOR_VERSION}, so a file is reused only
 * when it is exactly what the current generator would write; a change to the generator's output must
 * bump the version. The files are large (the 3B shape is ~1.9 GB) and never committed.
 *
 * Every shape ties its embeddings (no output.weight), as Llama 3.2 1B/3B, SmolLM2 and Qwen2.5-0.5B ship,
 * so a tied model answers every prompt with one filler byte repeated and never stops early (decode
 * measurements get their N tokens). Sizes differ from the real files because those mix types
 * (Q4_K_M keeps the embeddings and some FFN/V tensors in Q6_K); {@link REAL_FILE_BYTES} records them.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  planLlamaGguf,
  writeLlamaGgufFile,
  type GgufWeightType,
  type LlamaGgufOptions,
} from '../../test/support/gguf.ts';
import { SMOLLM2_135M_MODEL, SMOLLM2_360M_MODEL, type CatalogModel } from '../../src/engines/catalog.ts';

/** Bump when test/support/gguf.ts writes different bytes for the same options. */
export const GENERATOR_VERSION = 1;

export interface BenchShape {
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ff: number;
  vocab: number;
  /** Parameters of the real model, for the table (billions). */
  label: string;
}

export const BENCH_SHAPES = {
  'smollm2-135m': {
    dim: 576,
    layers: 30,
    heads: 9,
    kvHeads: 3,
    ff: 1536,
    vocab: 49152,
    label: 'SmolLM2-135M',
  },
  'smollm2-360m': {
    dim: 960,
    layers: 32,
    heads: 15,
    kvHeads: 5,
    ff: 2560,
    vocab: 49152,
    label: 'SmolLM2-360M',
  },
  'qwen2.5-0.5b': {
    dim: 896,
    layers: 24,
    heads: 14,
    kvHeads: 2,
    ff: 4864,
    vocab: 151936,
    label: 'Qwen2.5-0.5B',
  },
  'llama-3.2-1b': {
    dim: 2048,
    layers: 16,
    heads: 32,
    kvHeads: 8,
    ff: 8192,
    vocab: 128256,
    label: 'Llama-3.2-1B',
  },
  'llama-3.2-3b': {
    dim: 3072,
    layers: 28,
    heads: 24,
    kvHeads: 8,
    ff: 8192,
    vocab: 128256,
    label: 'Llama-3.2-3B',
  },
} as const satisfies Record<string, BenchShape>;

export type BenchShapeName = keyof typeof BENCH_SHAPES;

export const BENCH_TYPES = [
  'q4_0',
  'q4_k',
  'q8_0',
  'f16',
  'f32',
] as const satisfies readonly GgufWeightType[];
export type BenchType = (typeof BENCH_TYPES)[number];

/** Sizes of the real files the shapes stand for, where known (bytes, from src/engines/catalog.ts). */
export const REAL_FILE_BYTES: Partial<Record<`${BenchShapeName}:${BenchType}`, number>> = {
  'llama-3.2-1b:q4_k': 807_694_464, // Llama-3.2-1B-Instruct-Q4_K_M.gguf, exact
  'smollm2-135m:q8_0': 145_000_000, // smollm2-135m-instruct-q8_0.gguf, as listed (decimal MB)
  'smollm2-360m:q8_0': 386_000_000, // smollm2-360m-instruct-q8_0.gguf, as listed (decimal MB)
};

/** The catalog model a shape stands for, where the catalog ships that shape. */
const CATALOG_MODELS: Partial<Record<BenchShapeName, CatalogModel>> = {
  'smollm2-135m': SMOLLM2_135M_MODEL,
  'smollm2-360m': SMOLLM2_360M_MODEL,
};

/**
 * Whether the engine widens this shape's file to F32 on the CPU as the product does: the catalog's
 * model of the shape opts in (`cpuWiden`) and the file is of a type the widener converts.
 */
export function widensOnCpu(name: BenchShapeName, type: BenchType): CatalogModel | undefined {
  const model = CATALOG_MODELS[name];
  return model?.cpuWiden === 'f32' && (type === 'q8_0' || type === 'f16') ? model : undefined;
}

export function isBenchShape(name: string): name is BenchShapeName {
  return Object.hasOwn(BENCH_SHAPES, name);
}

export function isBenchType(name: string): name is BenchType {
  return (BENCH_TYPES as readonly string[]).includes(name);
}

/** `$TIER_ASSIST_CACHE/models`, else `~/.cache/tier-assist/models`. */
export function benchModelDir(): string {
  const base = process.env.TIER_ASSIST_CACHE ?? join(homedir(), '.cache', 'tier-assist');
  return join(base, 'models');
}

/** Generator options of a shape in a weight type. */
export function benchModelOptions(name: BenchShapeName, type: BenchType): LlamaGgufOptions {
  const s = BENCH_SHAPES[name];
  return {
    dim: s.dim,
    layers: s.layers,
    heads: s.heads,
    kvHeads: s.kvHeads,
    ff: s.ff,
    vocab: s.vocab,
    type,
    // One piece that no ASCII prompt can contain (the tokenizer would otherwise match a reply piece
    // such as " t" as a whole pre-tokenized word, and N ASCII bytes would no longer be N tokens).
    reply: '~~',
    tied: true,
    synthetic: true,
    contextLength: 4096,
    name: `${s.label}-shaped (synthetic, ${type})`,
  };
}

export interface BenchModel {
  name: BenchShapeName;
  type: BenchType;
  path: string;
  sizeBytes: number;
  /** The real file's size, when known. */
  realBytes?: number;
  /** True when this call wrote the file. */
  generated: boolean;
}

/** File name: shape, dims, type and generator version. */
export function benchModelFileName(name: BenchShapeName, type: BenchType): string {
  const s = BENCH_SHAPES[name];
  return `${name}-d${s.dim}-l${s.layers}-h${s.heads}kv${s.kvHeads}-ff${s.ff}-v${s.vocab}-tied-${type}-gen${GENERATOR_VERSION}.gguf`;
}

/**
 * The cached file for a shape and type, generated first when missing (or of the wrong size), with a
 * progress line on `log` while it is written.
 */
export async function ensureBenchModel(
  name: BenchShapeName,
  type: BenchType,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<BenchModel> {
  const dir = benchModelDir();
  mkdirSync(dir, { recursive: true });
  const path = join(dir, benchModelFileName(name, type));
  const options = benchModelOptions(name, type);
  const expected = planLlamaGguf(options).sizeBytes;
  const realBytes = REAL_FILE_BYTES[`${name}:${type}`];
  const base = { name, type, path, sizeBytes: expected, ...(realBytes ? { realBytes } : {}) };
  if (existsSync(path) && statSync(path).size === expected) return { ...base, generated: false };
  const MB = 1024 * 1024;
  const t0 = performance.now();
  log(`generating ${name} (${type}, ${(expected / MB).toFixed(0)} MB) into ${path}`);
  await writeLlamaGgufFile(path, options, (written, total) => {
    const s = (performance.now() - t0) / 1000;
    log(`  ${name}: ${(written / MB).toFixed(0)} / ${(total / MB).toFixed(0)} MB (${s.toFixed(0)} s)`);
  });
  return { ...base, generated: true };
}
