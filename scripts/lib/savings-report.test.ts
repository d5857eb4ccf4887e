import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QUALITY, expectedQuality, parsePromptsJsonl, whatIf } from '../../src/ledger/what-if.ts';
import { route } from '../../src/router/index.ts';
import weights from '../../src/router/weights.json' with { type: 'json' };
import { bar, qualityFootnote, renderReport, tradeSentence } from './savings-report.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = resolve(ROOT, 'test/fixtures/savings/prompts.jsonl');

describe('report bars', () => {
  it('draws proportional bars with eighth-cell precision', () => {
    expect(bar(1, 1, 4)).toBe('████');
    expect(bar(0.5, 1, 4)).toBe('██');
    expect(bar(1 / 16, 1, 4)).toBe('▎'); // 2 of 32 eighths
    expect(bar(0, 1, 4)).toBe('');
    expect(bar(3, 0, 4)).toBe('');
  });
});

describe('expected quality beside cost', () => {
  it('was measured at the router knob the product ships with, on the RouterBench test split', () => {
    expect(QUALITY.defaultKnob).toBe(weights.policy.defaultQuality);
    expect(QUALITY.source).toMatchObject({ benchmark: 'RouterBench', split: 'test', prompts: 945 });
    expect(QUALITY.knobs.some((k) => k.knob === QUALITY.defaultKnob)).toBe(true);
  });

  it('gives the figures of docs/bench/router.md at the default knob, with their interval and source', () => {
    const q = expectedQuality();
    // docs/bench/router.md: pooled test all-mid 0.750 / all-frontier 0.879; fitted knob 98.2% at 23.1% saving
    expect(q.frontier).toBe(1);
    expect(q.mid).toBeCloseTo(0.75 / 0.879, 2);
    expect(q.routed).toBeCloseTo(0.982, 3);
    expect(q.benchmarkSaving).toBeCloseTo(0.231, 3);
    expect(q.routedCi95![0]).toBeLessThan(q.routed);
    expect(q.routedCi95![1]).toBeGreaterThan(q.routed);
    expect(q.source).toContain('RouterBench test split (945 prompts');
    expect(q.source).toContain('knob 0.94');
  });

  it('reads the nearest measured knob for another setting and drops the interval there', () => {
    const low = expectedQuality(0.79);
    expect(low.knob).toBe(0.78);
    expect(low.routedCi95).toBeNull();
    expect(low.routed).toBe(QUALITY.knobs.find((k) => k.knob === 0.78)!.relativeAccuracy);
    // a lower knob keeps less of the frontier's accuracy and saves more
    expect(low.routed).toBeLessThan(expectedQuality().routed);
    expect(low.benchmarkSaving).toBeGreaterThan(expectedQuality().benchmarkSaving);
    expect(expectedQuality(2).knob).toBe(1);
  });

  it('says what all-mid gives up when it is cheaper, and says so plainly when routing buys nothing', () => {
    const prompts = parsePromptsJsonl(
      'Write a migration plan from a Rails monolith to event-driven services with rollback steps.\nHi there',
    );
    const r = whatIf(prompts, route, { perDay: 1000 });
    const text = renderReport(r);
    expect(text).toMatch(/routed\s+on-device \/ mid \/ frontier\s+\$[\d,.]+\s+[\d.]+%\s+98\.2%/);
    expect(text).toMatch(/all mid\s+claude-haiku-4-5\s+\$[\d,.]+\s+33\.3%\s+85\.3%/);
    expect(qualityFootnote(r)).toContain('Measured on RouterBench test split');
    expect(qualityFootnote(r)).toMatch(/95% interval \d+\.\d%-\d+\.\d%/);
    const planted = { ...r, monthly: { frontier: 900, mid: 300, routed: 500 } };
    expect(tradeSentence(planted)).toBe(
      'All mid is $200.00 a month cheaper than routed, but keeps 85.3% of frontier accuracy where routed keeps 98.2% (12.9 points more).',
    );
    const worse = { ...planted, quality: { ...r.quality, routed: 0.84, knob: 0.8 } };
    expect(tradeSentence(worse)).toContain('keeps at least as much frontier accuracy (85.3% vs 84.0%)');
  });

  it('prints quality beside each cost and its source in the CLI, and puts it in the JSON line', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/savings.ts', '--prompts', FIXTURE, '--per-day', '10000', '--json'],
      { encoding: 'utf8', cwd: ROOT },
    );
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    const json = JSON.parse(lines.at(-1)!) as { quality: { routed: number; mid: number; source: string } };
    expect(json.quality.routed).toBeCloseTo(0.982, 3);
    expect(json.quality.source).toContain('RouterBench');
    const text = lines.slice(0, -1).join('\n');
    expect(text).toContain('expected quality*');
    expect(text).toMatch(/all frontier\s+claude-sonnet-4-5\s+\$[\d,.]+\s+100\.0%\s+100\.0%/);
    expect(text).toContain('* accuracy relative to all-frontier: routed keeps 98.2%');
    expect(text).toMatch(/All mid is \$[\d,.]+ a month cheaper than routed, but keeps 85\.3%/);
  });
});
