/**
 * Progressive replay of one stream for `npm run eval:online`: for each knob, the online router decides,
 * the cascade runs as in `eval:router` (an on-device answer the verifier rejects escalates, paying for
 * both), and the router learns from the revealed feedback only. Cost and accuracy are taken over the
 * stream's second half; savings at the 95%-of-frontier floor are read off the hull of the operating
 * points plus the single tiers, exactly as `eval:router` reads them (src/router/metrics.ts).
 */
import type { Tier } from '../../src/config/schemas.ts';
import { createOnlineRouter } from '../../src/router/online.ts';
import type { OnlineFeatures } from '../../src/router/online-features.ts';
import type { OnlineConfig } from '../../src/router/online-state.ts';
import { costAtAccuracy, percentile, type OperatingPoint } from '../../src/router/metrics.ts';
import { thresholdFor, tierForScores } from '../../src/router/policy.ts';
import type { RouterScores } from '../../src/router/types.ts';
import { mulberry32 } from '../../src/prng.ts';

export interface StreamItem {
  f: OnlineFeatures;
  correct: Record<Tier, number>;
  cost: Record<Tier, number>;
  /** The verifier's verdict on the on-device answer (3-tier streams). */
  localAccept: boolean;
  /** Only the frontier answers it correctly (3-tier streams). */
  frontierOnly: boolean;
}

export interface Stream {
  name: string;
  /** Items in replay order. */
  items: StreamItem[];
  /** 3: on-device, mid, frontier (RouterBench); 2: mid and frontier (RouteLLM), no on-device engine. */
  tiers: 2 | 3;
  policy: { defaultQuality: number; localMargin: number };
}

export interface FeedbackModel {
  /** Chance that an answer's correctness is revealed (thumbs, re-asks). */
  reveal: number;
  /** Chance that a revealed outcome is wrong (a thumbs-down on a right answer...). */
  flip: number;
  seed: number;
  /** Call refit() every this many requests (the browser would do it when idle). */
  refitEvery: number;
  /**
   * Diagnostic, not the product: every tier's outcome is revealed (with the same chance), as if the
   * router could see what each tier would have answered. Bounds what the features can learn.
   */
  fullInfo?: boolean;
}

interface Outcome {
  acc: number;
  cost: number;
  /** Routed on-device first, and answered there after the verifier. */
  answeredLocal: boolean;
}

const ORDER: Tier[] = ['local', 'mid', 'frontier'];

/** The cascade after a routing choice: an on-device answer the verifier rejects escalates. */
function cascade(it: StreamItem, tier: Tier, scores: RouterScores, q: number): { final: Tier; cost: number } {
  let cost = it.cost[tier];
  if (tier !== 'local' || it.localAccept) return { final: tier, cost };
  const next: Tier = scores.mid >= thresholdFor(q) ? 'mid' : 'frontier';
  cost += it.cost[next];
  return { final: next, cost };
}

function staticOutcome(s: Stream, it: StreamItem, q: number): Outcome {
  let tier = tierForScores(it.f.scores, q, s.policy.localMargin);
  if (tier === 'local' && s.tiers === 2) tier = 'mid';
  const { final, cost } = cascade(it, tier, it.f.scores, q);
  return { acc: it.correct[final], cost, answeredLocal: final === 'local' };
}

/** Replay the whole stream with the online router at knob q; outcomes of the second half. */
function onlineRun(s: Stream, q: number, fm: FeedbackModel, config: Partial<OnlineConfig>): Outcome[] {
  const router = createOnlineRouter({ config, seed: fm.seed });
  const rand = mulberry32(fm.seed ^ 0x5bd1e995);
  const half = Math.floor(s.items.length / 2);
  const out: Outcome[] = [];
  s.items.forEach((it, i) => {
    // Common random numbers across knobs: the reveal and flip draws depend on the position only.
    const u1 = rand();
    const u2 = rand();
    const d = router.decide(it.f, {
      quality: q,
      localMargin: s.policy.localMargin,
      localAvailable: s.tiers === 3,
    });
    const { final, cost } = cascade(it, d.tier, d.scores, q);
    if (d.tier === 'local')
      router.learn({
        features: it.f,
        tier: 'local',
        propensity: d.propensity,
        verifierAccept: it.localAccept,
        version: d.version,
      });
    if (u1 < fm.reveal && fm.fullInfo)
      for (const t of s.tiers === 3 ? ORDER : (['mid', 'frontier'] as Tier[])) {
        const right = it.correct[t] === 1;
        router.learn({ features: it.f, tier: t, propensity: 1, correct: u2 < fm.flip ? !right : right });
      }
    else if (u1 < fm.reveal) {
      const right = it.correct[final] === 1;
      router.learn({
        features: it.f,
        tier: final,
        propensity: d.propensity,
        correct: u2 < fm.flip ? !right : right,
        version: d.version,
      });
    }
    if ((i + 1) % fm.refitEvery === 0) router.refit();
    if (i >= half) out.push({ acc: it.correct[final], cost, answeredLocal: final === 'local' });
  });
  return out;
}

export interface StreamResult {
  name: string;
  size: number;
  staticSaving95: number;
  onlineSaving95: number;
  randomSaving95: number;
  onlineCiLow: number;
  onlineCiHigh: number;
  staticCiLow: number;
  staticCiHigh: number;
  frontierOnly: { n: number; staticLocal: number; onlineLocal: number };
}

/** Sums of per-prompt outcomes over `ix` as an operating point (cost per 1,000 requests). */
function point(acc: Float64Array, cost: Float64Array, ix: Int32Array): OperatingPoint {
  let a = 0;
  let c = 0;
  for (let k = 0; k < ix.length; k++) {
    a += acc[ix[k] as number] as number;
    c += cost[ix[k] as number] as number;
  }
  return { acc: a / ix.length, cost: (c / ix.length) * 1000 };
}

export function evaluateStream(
  s: Stream,
  knobs: number[],
  fm: FeedbackModel,
  config: Partial<OnlineConfig>,
  boots: number,
): StreamResult {
  const half = Math.floor(s.items.length / 2);
  const second = s.items.slice(half);
  const m = second.length;
  const tiers: Tier[] = s.tiers === 3 ? ORDER : ['mid', 'frontier'];
  const cols = (fn: (it: StreamItem, j: number) => Outcome) => {
    const acc = new Float64Array(m);
    const cost = new Float64Array(m);
    second.forEach((it, j) => {
      const o = fn(it, j);
      acc[j] = o.acc;
      cost[j] = o.cost;
    });
    return { acc, cost };
  };
  const single = tiers.map((t) =>
    cols((it) => ({ acc: it.correct[t], cost: it.cost[t], answeredLocal: false })),
  );
  const frontierCol = single[single.length - 1] as { acc: Float64Array; cost: Float64Array };
  const staticCols = knobs.map((q) => cols((it) => staticOutcome(s, it, q)));
  const onlineCols = knobs.map((q) => {
    const o = onlineRun(s, q, fm, config);
    return cols((_, j) => o[j] as Outcome);
  });
  const savings = (ix: Int32Array): { st: number; on: number; rnd: number } => {
    const fr = point(frontierCol.acc, frontierCol.cost, ix);
    const rnd = single.map((c) => point(c.acc, c.cost, ix));
    const sv = (pts: OperatingPoint[]): number => {
      const c = costAtAccuracy([...pts, ...rnd], 0.95 * fr.acc);
      return Number.isFinite(c) && fr.cost > 0 ? 1 - c / fr.cost : 0;
    };
    return {
      st: sv(staticCols.map((c) => point(c.acc, c.cost, ix))),
      on: sv(onlineCols.map((c) => point(c.acc, c.cost, ix))),
      rnd: sv([]),
    };
  };
  const all = Int32Array.from({ length: m }, (_, j) => j);
  const est = savings(all);
  const rand = mulberry32(fm.seed + 7);
  const bOn: number[] = [];
  const bSt: number[] = [];
  for (let b = 0; b < boots; b++) {
    const ix = Int32Array.from({ length: m }, () => Math.floor(rand() * m));
    const r = savings(ix);
    bOn.push(r.on);
    bSt.push(r.st);
  }
  // Frontier-only prompts answered on-device at the stream's fitted default knob (eval:router's
  // misrouteComplexToLocal), counted over the second half.
  const q0 = s.policy.defaultQuality;
  const onlineDefault = onlineRun(s, q0, fm, config);
  let n = 0;
  let stLocal = 0;
  let onLocal = 0;
  second.forEach((it, j) => {
    if (!it.frontierOnly || s.tiers === 2) return;
    n++;
    if (staticOutcome(s, it, q0).answeredLocal) stLocal++;
    if ((onlineDefault[j] as Outcome).answeredLocal) onLocal++;
  });
  const r4 = (x: number): number => Number(x.toFixed(4));
  return {
    name: s.name,
    size: s.items.length,
    staticSaving95: r4(est.st),
    onlineSaving95: r4(est.on),
    randomSaving95: r4(est.rnd),
    onlineCiLow: r4(boots > 0 ? percentile(bOn, 2.5) : est.on),
    onlineCiHigh: r4(boots > 0 ? percentile(bOn, 97.5) : est.on),
    staticCiLow: r4(boots > 0 ? percentile(bSt, 2.5) : est.st),
    staticCiHigh: r4(boots > 0 ? percentile(bSt, 97.5) : est.st),
    frontierOnly: { n, staticLocal: stLocal, onlineLocal: onLocal },
  };
}
