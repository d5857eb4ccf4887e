/**
 * The what-if calculator checked number by number against arithmetic done here by hand: the token
 * estimate (ceil(chars / 4); 350 / 16 / 5 output tokens for chat / autocomplete / classify; a rewrite as long
 * as its input), the listed prices (Sonnet 4.5 $3/$15, Haiku 4.5 $1/$5 per million) and the assumed
 * latencies. Only the tier of each prompt comes from the real router.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRICES } from '../src/ledger/prices.ts';
import { whatIf, parsePromptsJsonl } from '../src/ledger/what-if.ts';
import { InvalidInputError, ConfigError } from '../src/errors.ts';
import { route } from '../src/router/index.ts';

const FIXTURE = resolve(import.meta.dirname, '../test/fixtures/savings/prompts.jsonl');
const lines = readFileSync(FIXTURE, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as { prompt: string; task: 'chat' | 'rewrite' | 'autocomplete' | 'classify' });

const PER_DAY = 10_000;
const DAYS = 30;
// $ per million tokens, as listed (checked against the table below so a price update is noticed here).
const SONNET = { in: 3, out: 15 };
const HAIKU = { in: 1, out: 5 };
const OUT: Record<string, number> = { chat: 350, autocomplete: 16, classify: 5 };
const LAT = { local: [150, 74], mid: [480, 53], frontier: [1800, 63] } as const;

const byHand = lines.map(({ prompt, task }) => {
  const input = Math.ceil(prompt.length / 4);
  const output = task === 'rewrite' ? input : OUT[task]!;
  const tier = route(prompt, { localAvailable: true, task }).tier;
  const frontier = (input * SONNET.in + output * SONNET.out) / 1e6; // USD per request
  const mid = (input * HAIKU.in + output * HAIKU.out) / 1e6;
  const routed = tier === 'local' ? 0 : tier === 'mid' ? mid : frontier;
  const [ttft, tps] = LAT[tier];
  return { input, output, tier, frontier, mid, routed, latency: ttft + (output / tps) * 1000 };
});
const monthly = (key: 'frontier' | 'mid' | 'routed') =>
  (byHand.reduce((s, r) => s + r[key], 0) * PER_DAY * DAYS) / byHand.length;

describe('what-if calculator', () => {
  it('uses the prices this test was written against', () => {
    expect(PRICES.defaults).toMatchObject({ frontier: 'claude-sonnet-4-5', mid: 'claude-haiku-4-5' });
    expect(PRICES.models['claude-sonnet-4-5']).toMatchObject({ input: SONNET.in, output: SONNET.out });
    expect(PRICES.models['claude-haiku-4-5']).toMatchObject({ input: HAIKU.in, output: HAIKU.out });
  });

  it('prices the fixture month all-frontier, all-mid and routed (hand-computed)', () => {
    const r = whatIf(parsePromptsJsonl(readFileSync(FIXTURE, 'utf8')), route, { perDay: PER_DAY });
    expect(r.prompts).toBe(8);
    expect(r.requestsPerMonth).toBe(300_000);
    r.rows.forEach((row, i) => {
      expect(row.inputTokens).toBe(byHand[i]!.input);
      expect(row.outputTokens).toBe(byHand[i]!.output);
      expect(row.tier).toBe(byHand[i]!.tier);
      expect(row.reason.length).toBeGreaterThan(0);
    });
    expect(r.monthly.frontier).toBeCloseTo(monthly('frontier'), 9);
    expect(r.monthly.mid).toBeCloseTo(monthly('mid'), 9);
    expect(r.monthly.routed).toBeCloseTo(monthly('routed'), 9);
    expect(r.savedVsFrontier).toBeCloseTo(monthly('frontier') - monthly('routed'), 9);
    // All-mid is exactly a third of all-frontier at these prices (both rates are 1/3).
    expect(r.monthly.mid).toBeCloseTo(r.monthly.frontier / 3, 9);
    for (const tier of ['local', 'mid', 'frontier'] as const) {
      const count = byHand.filter((h) => h.tier === tier).length;
      expect(r.mix[tier]).toEqual({ prompts: count, share: count / 8 });
    }
    const routedMean = byHand.reduce((s, h) => s + h.latency, 0) / 8;
    expect(r.latency.meanMs.routed).toBeCloseTo(routedMean, 6);
    const frontierMean = byHand.reduce((s, h) => s + 1800 + (h.output / 63) * 1000, 0) / 8;
    expect(r.latency.meanMs.frontier).toBeCloseTo(frontierMean, 6);
    expect(r.examples.length).toBe(5);
  });

  it('prices the pinned on-device rows exactly (autocomplete, sentence rewrite)', () => {
    // autocomplete and a sentence rewrite are on-device by policy, whatever the weights
    expect(byHand[4]!.tier).toBe('local');
    expect(byHand[5]!.tier).toBe('local');
    // fixed numbers for the pinned rows: rewrite 80 chars -> 20 in, 20 out; autocomplete 35 chars -> 9 in, 16 out
    expect([byHand[4]!.input, byHand[4]!.output]).toEqual([20, 20]);
    expect([byHand[5]!.input, byHand[5]!.output]).toEqual([9, 16]);
    // Sonnet on the autocomplete: 9 x 3 + 16 x 15 = 267 micro-$; Haiku: 9 + 80 = 89 micro-$
    expect(byHand[5]!.frontier).toBeCloseTo(267e-6, 15);
    expect(byHand[5]!.mid).toBeCloseTo(89e-6, 15);
  });

  it('prints a table, a bar chart, the mix and reasons, and one JSON line last (CLI)', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/savings.ts', '--prompts', FIXTURE, '--per-day', String(PER_DAY), '--json'],
      { encoding: 'utf8', cwd: resolve(import.meta.dirname, '..') },
    );
    expect(run.status, run.stderr).toBe(0);
    const out = run.stdout.trimEnd().split('\n');
    const json = JSON.parse(out.at(-1)!) as { monthly: { frontier: number; mid: number; routed: number } };
    expect(json.monthly.frontier).toBeCloseTo(monthly('frontier'), 9);
    expect(json.monthly.routed).toBeCloseTo(monthly('routed'), 9);
    const text = out.slice(0, -1).join('\n');
    expect(text).toMatch(/all frontier\s+claude-sonnet-4-5\s+\$[\d,.]+\s+100\.0%/);
    expect(text).toContain('████');
    expect(text).toContain('Example decisions');
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/savings.ts', '--per-day', '5'], {
      encoding: 'utf8',
      cwd: resolve(import.meta.dirname, '..'),
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--prompts');
  });

  it('refuses empty samples and bad lines with typed errors', () => {
    expect(() => whatIf([], route, { perDay: 10 })).toThrow(InvalidInputError);
    expect(() => parsePromptsJsonl('{"prompt": "hi", "task": "poetry"}')).toThrow(ConfigError);
    expect(parsePromptsJsonl('# comment\nplain text line\n"a json string"\n')).toEqual([
      { prompt: 'plain text line', task: 'chat' },
      { prompt: 'a json string', task: 'chat' },
    ]);
  });
});
