/**
 * npm run eval:quality [-- --data ../shared/data --boot 200 --check]
 *
 * Writes src/router/quality.json: the accuracy each configuration keeps relative to all-frontier, measured
 * on the RouterBench TEST split with the committed weights, for the what-if calculator and
 * `<tier-savings>` to show beside each cost (issue 15 item 4). Only aggregates are written (accuracies and
 * cost shares), never a prompt. "Routed" is what `npm run eval:router` calls the cascade: route with the
 * scores at the knob, verify the on-device answer, escalate on rejection, every try paid for; the figures
 * at the default knob are its `pooled.fittedKnob.cascade` (docs/bench/router.md).
 * The file is bundled with `<tier-savings>`, so it carries no comment field: this script is its documentation.
 * With --check it writes nothing and exits 1 when the committed file differs from a fresh run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import type { Tier } from '../src/config/schemas.ts';
import { mulberry32 } from '../src/prng.ts';
import { scoreRequest, thresholdFor, tierForScores, verifyAnswer } from '../src/router/index.ts';
import { percentile } from '../src/router/metrics.ts';
import type { RouterScores } from '../src/router/types.ts';
import weightsJson from '../src/router/weights.json' with { type: 'json' };
import { loadRouterBench, type RouterBenchRow } from './lib/router-data.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data' },
    boot: { type: 'string', default: '200' },
    check: { type: 'boolean', default: false },
  },
});
const OUT = resolve(import.meta.dirname, '../src/router/quality.json');
const { defaultQuality: DEFAULT_Q, localMargin: MARGIN } = (
  weightsJson as { policy: { defaultQuality: number; localMargin: number } }
).policy;
const TIERS: Tier[] = ['local', 'mid', 'frontier'];
/** The knob grid the what-if reads the nearest point of (0.50..1.00 by 0.02). */
const KNOBS = Array.from({ length: 26 }, (_, i) => Number((0.5 + i * 0.02).toFixed(2)));
const r4 = (x: number): number => Number(x.toFixed(4));
/** The knob grid is read to one decimal of a percent: three digits are enough, and the dashboard ships them. */
const r3 = (x: number): number => Number(x.toFixed(3));

interface Row {
  rb: RouterBenchRow;
  scores: RouterScores;
  acceptLocal: boolean;
}

/** The cascade exactly as scripts/eval-router.ts runs it: the answering tier and what every try cost. */
function cascade(r: Row, q: number): { acc: number; cost: number } {
  const th = thresholdFor(q);
  let tier = tierForScores(r.scores, q, MARGIN);
  let cost = 0;
  for (;;) {
    cost += r.rb.cost[tier];
    if (tier === 'frontier' || tier === 'mid' || r.acceptLocal) break;
    tier = r.scores.mid >= th ? 'mid' : 'frontier';
  }
  return { acc: r.rb.correct[tier], cost };
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Accuracy and cost of each configuration relative to all-frontier on `rows`. */
function relative(rows: readonly Row[], q: number) {
  const frontierAcc = sum(rows.map((r) => r.rb.correct.frontier));
  const frontierCost = sum(rows.map((r) => r.rb.cost.frontier));
  const all = Object.fromEntries(
    TIERS.map((t) => [
      t,
      {
        relativeAccuracy: sum(rows.map((r) => r.rb.correct[t])) / frontierAcc,
        costShare: sum(rows.map((r) => r.rb.cost[t])) / frontierCost,
      },
    ]),
  ) as Record<Tier, { relativeAccuracy: number; costShare: number }>;
  const routed = rows.map((r) => cascade(r, q));
  return {
    frontierAccuracy: frontierAcc / rows.length,
    all,
    routed: {
      relativeAccuracy: sum(routed.map((o) => o.acc)) / frontierAcc,
      costShare: sum(routed.map((o) => o.cost)) / frontierCost,
    },
  };
}

const rows: Row[] = loadRouterBench(values.data)
  .filter((r) => r.split === 'test' && !TIERS.some((t) => Number.isNaN(r.correct[t])))
  .map((rb) => ({
    rb,
    scores: scoreRequest(rb.prompt),
    acceptLocal:
      rb.response.local !== undefined &&
      verifyAnswer({ text: rb.response.local, finishReason: 'stop', prompt: rb.prompt }).accept,
  }));
if (rows.length === 0) {
  process.stderr.write(`eval:quality: no RouterBench test rows under ${values.data}: pass --data DIR\n`);
  process.exit(2);
}

const at = relative(rows, DEFAULT_Q);
const boots = Number(values.boot);
const rand = mulberry32(7);
const resampled: number[] = [];
for (let i = 0; i < boots; i++)
  resampled.push(
    relative(
      rows.map(() => rows[Math.floor(rand() * rows.length)]!),
      DEFAULT_Q,
    ).routed.relativeAccuracy,
  );
const datasets = [...new Set(rows.map((r) => r.rb.dataset))].sort();

const quality = {
  source: {
    benchmark: 'RouterBench',
    split: 'test',
    prompts: rows.length,
    datasets: Object.fromEntries(datasets.map((d) => [d, rows.filter((r) => r.rb.dataset === d).length])),
    models: { local: 'Mistral-7B', mid: 'GPT-3.5-turbo-1106', frontier: 'GPT-4-1106' },
    command: 'npm run eval:quality',
  },
  defaultKnob: DEFAULT_Q,
  frontierAccuracy: r4(at.frontierAccuracy),
  all: Object.fromEntries(
    TIERS.map((t) => [
      t,
      { relativeAccuracy: r4(at.all[t].relativeAccuracy), costShare: r4(at.all[t].costShare) },
    ]),
  ),
  routed: {
    relativeAccuracy: r4(at.routed.relativeAccuracy),
    costShare: r4(at.routed.costShare),
    ci95: boots > 0 ? [r4(percentile(resampled, 2.5)), r4(percentile(resampled, 97.5))] : null,
  },
  knobs: KNOBS.map((q) => {
    const r = relative(rows, q).routed;
    return { knob: q, relativeAccuracy: r3(r.relativeAccuracy), costShare: r3(r.costShare) };
  }),
};
// Formatted as the repository's prettier would, so `--check` and `prettier --check` agree.
const text = await format(JSON.stringify(quality), { ...(await resolveConfig(OUT)), filepath: OUT });
if (values.check) {
  let committed = '';
  try {
    committed = readFileSync(OUT, 'utf8');
  } catch {
    // missing: reported below
  }
  if (committed !== text) {
    process.stderr.write('eval:quality: src/router/quality.json is stale: run npm run eval:quality\n');
    process.exit(1);
  }
  process.stdout.write('src/router/quality.json is up to date\n');
} else {
  writeFileSync(OUT, text);
  const p = (x: number) => `${(x * 100).toFixed(1)}%`;
  process.stdout.write(
    `Wrote src/router/quality.json (RouterBench test, ${rows.length} prompts, knob ${DEFAULT_Q}): ` +
      `routed keeps ${p(at.routed.relativeAccuracy)} of all-frontier accuracy at ${p(at.routed.costShare)} of its cost; ` +
      `all-mid ${p(at.all.mid.relativeAccuracy)} at ${p(at.all.mid.costShare)}; on-device only ${p(at.all.local.relativeAccuracy)}.\n`,
  );
}
