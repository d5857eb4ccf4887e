/**
 * Loaders for the router's training and evaluation data in ../shared/data/router (read in place, never
 * copied). Splits: RouterBench's own `split` column; RouteLLM GSM8K/MMLU by sha1(prompt)[0] < 179 -> train;
 * RouteLLM's contaminated prompts and the mis-graded MMLU high_school_mathematics are dropped.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseCsv as parseCsvRows } from '../../src/csv.ts';
import { TierSchema, type TaskKind, type Tier } from '../../src/config/schemas.ts';
import { normalizeText } from '../../src/router/features.ts';

export type Split = 'train' | 'test';

/** CSV text as one record per row, keyed by the header row; blank lines are skipped. */
export function parseCsv(text: string): Record<string, string>[] {
  const rows = parseCsvRows(text);
  const header = rows.shift() ?? [];
  return rows
    .filter((r) => r.length > 1 || (r[0] ?? '') !== '')
    .map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

/** RouteLLM-style split: first byte of sha1(prompt) < 179 -> train (about 70%). */
export function hashSplit(prompt: string): Split {
  const b = createHash('sha1').update(prompt, 'utf8').digest()[0] ?? 0;
  return b < 179 ? 'train' : 'test';
}

/** Stable 0..1 value of a string (used for the calibration slice of train). */
export function unitHash(s: string, salt = ''): number {
  const d = createHash('sha1')
    .update(salt + s, 'utf8')
    .digest();
  return (d.readUInt32BE(0) >>> 0) / 2 ** 32;
}

export interface RouterBenchRow {
  id: string;
  dataset: string;
  split: Split;
  prompt: string;
  correct: { local: number; mid: number; frontier: number };
  cost: { local: number; mid: number; frontier: number };
  /** The small (local stand-in) and mid model's own response text from the raw files (for the cascade). */
  response: { local?: string; mid?: string };
}

const num = (s: string | undefined): number => (s === undefined || s === '' ? NaN : Number(s));

export function loadRouterBench(dataDir: string): RouterBenchRow[] {
  const base = join(dataDir, 'router', 'routerbench');
  const rows = parseCsv(readFileSync(join(base, 'routerbench_3tier.csv'), 'utf8'));
  const responses = new Map<string, { local?: string; mid?: string }>();
  const rawDir = join(base, 'raw');
  if (existsSync(rawDir)) {
    for (const f of readdirSync(rawDir).filter((n) => n.endsWith('.csv'))) {
      for (const r of parseCsv(readFileSync(join(rawDir, f), 'utf8'))) {
        responses.set(`${r.eval_name}|${r.sample_id}`, {
          local: r['mistralai/mistral-7b-chat|model_response'],
          mid: r['gpt-3.5-turbo-1106|model_response'],
        });
      }
    }
  }
  return rows.map((r) => ({
    id: r.sample_id ?? '',
    dataset: r.eval_name ?? '',
    split: r.split === 'test' ? 'test' : 'train',
    prompt: normalizeText(r.prompt ?? ''),
    correct: { local: num(r.small_correct), mid: num(r.mid_correct), frontier: num(r.frontier_correct) },
    cost: { local: num(r.cost_small), mid: num(r.cost_mid), frontier: num(r.cost_frontier) },
    response: {
      local: unwrap(responses.get(`${r.eval_name}|${r.sample_id}`)?.local),
      mid: unwrap(responses.get(`${r.eval_name}|${r.sample_id}`)?.mid),
    },
  }));
}

function unwrap(s: string | undefined): string | undefined {
  return s === undefined ? undefined : normalizeText(s);
}

export interface TwoTierRow {
  dataset: string;
  split: Split;
  prompt: string;
  weak: number;
  strong: number;
  weakResponse?: string;
  /** MMLU subject (the file name without `mmlu_` and `.csv`); used to leave subject groups out. */
  subject?: string;
}

function contaminated(dataDir: string, name: string): Set<string> {
  const p = join(dataDir, 'router', 'routellm', `contaminated_prompts_${name}.jsonl`);
  const out = new Set<string>();
  if (!existsSync(p)) return out;
  for (const line of readFileSync(p, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const v = z.object({ eval_prompt: z.string() }).safeParse(JSON.parse(line));
    if (v.success) out.add(v.data.eval_prompt.trim());
  }
  return out;
}

const WEAK = 'mistralai/Mixtral-8x7B-Instruct-v0.1';
const STRONG = 'gpt-4-1106-preview';
const bool = (s: string | undefined): number => (s === 'True' ? 1 : 0);

export function loadGsm8k(dataDir: string): TwoTierRow[] {
  const drop = contaminated(dataDir, 'gsm8k');
  return parseCsv(readFileSync(join(dataDir, 'router', 'routellm', 'gsm8k.csv'), 'utf8'))
    .filter((r) => !drop.has((r.prompt ?? '').trim()))
    .map((r) => ({
      dataset: 'gsm8k',
      split: hashSplit(r.prompt ?? ''),
      prompt: r.prompt ?? '',
      weak: bool(r[WEAK]),
      strong: bool(r[STRONG]),
      weakResponse: r[`${WEAK}_response`] ?? '',
    }));
}

export function loadMmlu(dataDir: string): TwoTierRow[] {
  const dir = join(dataDir, 'router', 'routellm', 'mmlu');
  const drop = contaminated(dataDir, 'mmlu');
  const out: TwoTierRow[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.csv') || f === 'mmlu_high_school_mathematics.csv') continue;
    for (const r of parseCsv(readFileSync(join(dir, f), 'utf8'))) {
      const prompt = r.prompt ?? '';
      if (drop.has(prompt.trim())) continue;
      out.push({
        dataset: 'mmlu',
        split: hashSplit(prompt),
        prompt,
        weak: bool(r[WEAK]),
        strong: bool(r[STRONG]),
        subject: f.slice('mmlu_'.length, -'.csv'.length),
      });
    }
  }
  return out;
}

export interface LevelRow {
  prompt: string;
  level: number;
}

export function loadMath500(dataDir: string): LevelRow[] {
  const p = join(dataDir, 'router', 'math500', 'test.jsonl');
  return readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => z.object({ problem: z.string(), level: z.number() }).parse(JSON.parse(l)))
    .map((r) => ({ prompt: r.problem, level: r.level }));
}

export interface ArenaRow {
  prompt: string;
  category: string;
}

export function loadArena(dataDir: string, version: 'v0.1' | 'v2.0'): ArenaRow[] {
  const p = join(dataDir, 'router', 'arena_hard', `arena-hard-${version}_question.jsonl`);
  const schema = z.object({
    prompt: z.string().optional(),
    turns: z.array(z.object({ content: z.string() })).optional(),
    subcategory: z.string().optional(),
    category: z.string().optional(),
  });
  return readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => schema.parse(JSON.parse(l)))
    .map((r) => ({
      prompt: r.prompt ?? r.turns?.[0]?.content ?? '',
      category: r.subcategory ?? r.category ?? '',
    }))
    .filter((r) => r.prompt.length > 0);
}

export const ProductRequestSchema = z.object({
  prompt: z.string().min(1),
  tier: TierSchema,
  task: z.enum(['chat', 'autocomplete', 'rewrite', 'classify', 'triage', 'extract']).optional(),
  turn: z.number().int().min(1).optional(),
  kind: z.string().optional(),
});
export interface ProductRequest {
  prompt: string;
  tier: Tier;
  task?: TaskKind;
  turn?: number;
  kind?: string;
}

/** The hand-labelled product-traffic set (data/router/product-requests.jsonl). */
export function loadProductRequests(path: string): ProductRequest[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l, i) => ({ l, i }))
    .filter(({ l }) => l.trim())
    .map(({ l, i }) => {
      const r = ProductRequestSchema.safeParse(JSON.parse(l));
      if (!r.success) throw new Error(`${path}:${i + 1}: ${r.error.message}`);
      return r.data;
    });
}
