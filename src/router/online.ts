/**
 * The online router: the static router plus per-tier residuals learned from revealed feedback only.
 * Pure (no DOM, no I/O) so it runs in the browser and at the gateway; its whole state is JSON.
 *
 * - Learning: importance-weighted regression (IWR). Each tier t has a correctness model
 *   p_t(x) = base_t(x) + delta_t(x), base from the static scores; a revealed outcome of the tier used
 *   updates only that tier, weighted by 1/propensity (clipped).
 * - Deciding: the static policy on corrected scores, mid' = s.mid + delta_mid - delta_frontier and
 *   local' = min(s.local, s.local + delta_local - delta_frontier). The min is the safety floor: at any
 *   knob, a request goes on-device only if the static router would send it there too.
 * - Exploring: epsilon-greedy to a neighbouring tier, capped at a share of recent requests, with the
 *   propensity returned so feedback can be importance-weighted. Never into on-device unless static
 *   would go there.
 * - Refit and rollback: decisions use the last promoted refit; a refit is on probation until it has
 *   `guardMinSamples` outcomes, and rolls back by itself if its observed quality drops below the
 *   baseline window by more than `guardMaxDrop` (one-sided z test).
 * Why these choices: docs/adr/0004-online-router.md. API: docs/router.md (Online learning).
 */
import type { Tier } from '../config/schemas.ts';
import { DENSE_NAMES } from './features.ts';
import type { OnlineFeatures } from './online-features.ts';
import {
  paramCount,
  parseOnlineConfig,
  parseOnlineState,
  type OnlineConfig,
  type OnlineState,
  type TierVectors,
} from './online-state.ts';
import { thresholdFor, tierForScores } from './policy.ts';
import type { RouterScores } from './types.ts';

const D = DENSE_NAMES.length;

export interface OnlineDecideOptions {
  /** The quality knob (as in route()); default 0.9. */
  quality?: number;
  /** The static policy's on-device margin (weights.policy.localMargin); default 0. */
  localMargin?: number;
  /** False when no on-device engine can run: on-device becomes mid, as in the static policy. */
  localAvailable?: boolean;
  /** False for requests whose tier an override pins (privacy, task): no exploration. Default true. */
  explore?: boolean;
}

export interface OnlineDecision {
  /** The tier to use (the greedy tier, or its neighbour when this request explores). */
  tier: Tier;
  /** What the learned router would pick without exploring. */
  greedyTier: Tier;
  /** What the static router picks at the same knob. */
  staticTier: Tier;
  explored: boolean;
  /** Probability that this decision picked `tier`; echo it in the feedback. */
  propensity: number;
  /** The corrected scores (feed them to the policy's overrides like the static ones). */
  scores: RouterScores;
  /** Serving model version; echo it in the feedback so stale feedback does not judge a newer refit. */
  version: number;
}

/** One revealed outcome. Aggregated features and outcomes only: no text. */
export interface OnlineFeedback {
  features: OnlineFeatures;
  /** The tier whose answer the person got. */
  tier: Tier;
  /** `decision.propensity` of the decision that chose the route. */
  propensity: number;
  /** `decision.version`; feedback for an older serving model still trains but does not judge a refit. */
  version?: number;
  /** Was the answer right (thumbs, no re-ask) or wrong (thumbs down, "Ask a bigger model", re-ask)? */
  correct?: boolean;
  /** The cascade verifier's verdict on an on-device answer. */
  verifierAccept?: boolean;
}

export interface RefitResult {
  refitted: boolean;
  reason: string;
}

export interface LearnResult {
  rolledBack: boolean;
}

export interface OnlineRouter {
  decide(features: OnlineFeatures, options?: OnlineDecideOptions): OnlineDecision;
  learn(feedback: OnlineFeedback): LearnResult;
  /** Promote what was learned since the last refit to the serving model (if it may be promoted now). */
  refit(): RefitResult;
  /** A JSON-safe copy of the whole state (rounded to 1e-6). */
  state(): OnlineState;
  readonly config: OnlineConfig;
}

export interface CreateOnlineRouterOptions {
  /** Settings over DEFAULT_ONLINE_CONFIG (ignored when `state` is given: the state carries its own). */
  config?: Partial<OnlineConfig>;
  /** A state from `state()`, possibly after a JSON round trip; parsed, ConfigError when malformed. */
  state?: unknown;
  /** Seed of the exploration draws (default 1). */
  seed?: number;
}

const zeros = (len: number): TierVectors => ({
  local: new Array<number>(len).fill(0),
  mid: new Array<number>(len).fill(0),
  frontier: new Array<number>(len).fill(0),
});
const copy = (v: TierVectors): TierVectors => ({
  local: [...v.local],
  mid: [...v.mid],
  frontier: [...v.frontier],
});
const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const roundVectors = (v: TierVectors): TierVectors => ({
  local: v.local.map(round6),
  mid: v.mid.map(round6),
  frontier: v.frontier.map(round6),
});

/** Slots before the buckets: bias, the two static logits (scaled), the dense features. */
const HEAD = 3 + D;
const logit = (p: number): number => {
  const q = Math.min(1 - 1e-4, Math.max(1e-4, p));
  return Math.log(q / (1 - q));
};
/** The non-bucket part of the feature vector: [1, logit(s_local)/4, logit(s_mid)/4, dense...]. */
function headVector(f: OnlineFeatures): number[] {
  const v = [1, logit(f.scores.local) / 4, logit(f.scores.mid) / 4];
  for (let k = 0; k < D; k++) v.push(f.dense[k] ?? 0);
  return v;
}

/** Residual delta_t(x) = w . [1, static logits, dense, folded buckets]. */
function residual(w: number[], f: OnlineFeatures): number {
  const h = headVector(f);
  let z = 0;
  for (let k = 0; k < HEAD; k++) z += (w[k] as number) * (h[k] as number);
  for (let i = 0; i < f.idx.length; i++) z += (w[HEAD + (f.idx[i] as number)] ?? 0) * (f.val[i] as number);
  return z;
}

function initialState(config: OnlineConfig, seed: number): OnlineState {
  const len = paramCount(config.buckets);
  return {
    version: 1,
    config,
    serving: zeros(len),
    previous: null,
    candidate: zeros(len),
    gradSq: zeros(len),
    explore: { decisions: 0, explored: 0 },
    guard: {
      baseline: null,
      recent: { n: 0, correct: 0 },
      sinceRefit: { n: 0, correct: 0 },
      probation: false,
    },
    counters: {
      decisions: 0,
      explored: 0,
      updates: 0,
      updatesSinceRefit: 0,
      refits: 0,
      rollbacks: 0,
      version: 0,
    },
    rng: seed >>> 0,
  };
}

export function createOnlineRouter(options: CreateOnlineRouterOptions = {}): OnlineRouter {
  const s: OnlineState =
    options.state !== undefined
      ? structuredClone(parseOnlineState(options.state))
      : initialState(parseOnlineConfig(options.config ?? {}), options.seed ?? 1);
  const c = s.config;
  const mask = c.buckets - 1;

  /** mulberry32 step on the state's own counter (so a restored state continues the same draws). */
  const random = (): number => {
    s.rng = (s.rng + 0x6d2b79f5) >>> 0;
    let t = s.rng;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  const check = (f: OnlineFeatures): OnlineFeatures =>
    f.idx.every((i) => i <= mask) ? f : { ...f, idx: f.idx.map((i) => i & mask) };

  const corrected = (f: OnlineFeatures, w: TierVectors): { scores: RouterScores; staticLocal: number } => {
    const dl = residual(w.local, f);
    const dm = residual(w.mid, f);
    const df = residual(w.frontier, f);
    const local = Math.min(f.scores.local, clamp01(f.scores.local + dl - df));
    const mid = Math.max(local, clamp01(f.scores.mid + dm - df));
    return { scores: { local, mid }, staticLocal: f.scores.local };
  };

  const pick = (scores: RouterScores, q: number, margin: number, localOk: boolean): Tier => {
    const t = tierForScores(scores, q, margin);
    return t === 'local' && !localOk ? 'mid' : t;
  };

  function decide(features: OnlineFeatures, o: OnlineDecideOptions = {}): OnlineDecision {
    const f = check(features);
    const q = o.quality ?? 0.9;
    const margin = o.localMargin ?? 0;
    const localOk = o.localAvailable !== false;
    const { scores } = corrected(f, s.serving);
    const greedyTier = pick(scores, q, margin, localOk);
    const staticTier = pick(f.scores, q, margin, localOk);
    // The neighbour to explore: one tier up, or down from the frontier; on-device only where static goes.
    const alternative: Tier =
      greedyTier === 'frontier'
        ? 'mid'
        : greedyTier === 'local'
          ? 'mid'
          : staticTier === 'local'
            ? 'local'
            : 'frontier';
    s.counters.decisions++;
    const keep = 1 - 1 / c.exploreWindow;
    s.explore.decisions = s.explore.decisions * keep + 1;
    s.explore.explored *= keep;
    // Only requests near the boundary between the two tiers explore: far from it one outcome cannot
    // change the decision. The rate decays as decisions accumulate (exploreDecay = 0: constant).
    const th = thresholdFor(q);
    const nearLocal = greedyTier === 'local' || alternative === 'local';
    const distance = nearLocal
      ? Math.abs(scores.local - Math.max(0.05, th - margin))
      : Math.abs(scores.mid - th);
    const rate =
      c.exploreDecay > 0
        ? c.exploreRate / Math.sqrt(1 + s.counters.decisions / c.exploreDecay)
        : c.exploreRate;
    const withinBudget =
      o.explore !== false &&
      rate > 0 &&
      distance <= c.exploreBand &&
      s.explore.explored + 1 <= c.exploreMaxShare * s.explore.decisions;
    let tier = greedyTier;
    let explored = false;
    let propensity = 1;
    if (withinBudget) {
      if (random() < rate) {
        tier = alternative;
        explored = true;
        propensity = rate;
        s.explore.explored += 1;
        s.counters.explored++;
      } else propensity = 1 - rate;
    }
    return { tier, greedyTier, staticTier, explored, propensity, scores, version: s.counters.version };
  }

  /** One AdaGrad step of squared loss on tier t's correctness model. */
  function step(t: Tier, f: OnlineFeatures, y: number, weight: number): void {
    const w = s.candidate[t];
    const g2 = s.gradSq[t];
    const base =
      t === 'frontier'
        ? c.frontierPrior
        : c.frontierPrior - (1 - (t === 'mid' ? f.scores.mid : f.scores.local));
    const err = base + residual(w, f) - y;
    const lr = c.learningRate;
    const upd = (k: number, x: number): void => {
      const reg = c.l2 * (w[k] as number);
      // An importance weight counts as that many repetitions in AdaGrad's accumulator (ADR 0004).
      if (c.importanceAware) {
        const g0 = err * x;
        g2[k] = (g2[k] as number) + weight * g0 * g0 + reg * reg;
        w[k] = (w[k] as number) - (lr * (weight * g0 + reg)) / Math.sqrt((g2[k] as number) + 1e-8);
        return;
      }
      const g = err * weight * x + reg;
      g2[k] = (g2[k] as number) + g * g;
      w[k] = (w[k] as number) - (lr * g) / Math.sqrt((g2[k] as number) + 1e-8);
    };
    const h = headVector(f);
    for (let k = 0; k < HEAD; k++) upd(k, h[k] as number);
    for (let i = 0; i < f.idx.length; i++) upd(HEAD + (f.idx[i] as number), f.val[i] as number);
  }

  function learn(fb: OnlineFeedback): LearnResult {
    const f = check(fb.features);
    const iw = Math.min(c.maxImportanceWeight, 1 / Math.max(1e-9, fb.propensity));
    if (fb.correct !== undefined) {
      step(fb.tier, f, fb.correct ? 1 : 0, iw);
      s.counters.updates++;
      s.counters.updatesSinceRefit++;
    } else if (fb.tier === 'local' && fb.verifierAccept !== undefined && c.verifierWeight > 0) {
      step('local', f, fb.verifierAccept ? 1 : 0, iw * c.verifierWeight);
    }
    if (fb.correct === undefined || (fb.version !== undefined && fb.version !== s.counters.version))
      return { rolledBack: false };
    const y = fb.correct ? 1 : 0;
    const keep = 1 - 1 / c.guardWindow;
    s.guard.recent = { n: s.guard.recent.n * keep + 1, correct: s.guard.recent.correct * keep + y };
    if (!s.guard.probation) return { rolledBack: false };
    s.guard.sinceRefit = { n: s.guard.sinceRefit.n + 1, correct: s.guard.sinceRefit.correct + y };
    const since = s.guard.sinceRefit;
    const base = s.guard.baseline;
    if (since.n < c.guardMinSamples || !base || base.n < 1) return { rolledBack: false };
    const p0 = base.correct / base.n;
    const p1 = since.correct / since.n;
    const p = (base.correct + since.correct) / (base.n + since.n);
    const se = Math.sqrt(Math.max(1e-9, p * (1 - p) * (1 / base.n + 1 / since.n)));
    if (p0 - p1 > c.guardMaxDrop && (p0 - p1 - c.guardMaxDrop) / se > c.guardZ) {
      rollback();
      return { rolledBack: true };
    }
    // Passed probation: this refit is now the accepted one.
    s.guard.probation = false;
    return { rolledBack: false };
  }

  function rollback(): void {
    const target = s.previous ?? zeros(paramCount(c.buckets));
    s.serving = copy(target);
    s.candidate = copy(target);
    s.previous = null;
    s.guard.probation = false;
    s.guard.sinceRefit = { n: 0, correct: 0 };
    s.guard.recent = s.guard.baseline ? { ...s.guard.baseline } : { n: 0, correct: 0 };
    s.counters.rollbacks++;
    s.counters.version++;
    s.counters.updatesSinceRefit = 0;
  }

  function refit(): RefitResult {
    if (s.guard.probation)
      return {
        refitted: false,
        reason: 'the last refit is still on probation (too few outcomes to judge it)',
      };
    if (s.counters.updatesSinceRefit < c.minUpdatesPerRefit)
      return {
        refitted: false,
        reason: `${s.counters.updatesSinceRefit} outcomes since the last refit; ${c.minUpdatesPerRefit} needed`,
      };
    s.previous = copy(s.serving);
    s.serving = copy(s.candidate);
    s.guard.baseline = { ...s.guard.recent };
    s.guard.sinceRefit = { n: 0, correct: 0 };
    s.guard.probation = true;
    s.counters.refits++;
    s.counters.version++;
    s.counters.updatesSinceRefit = 0;
    return { refitted: true, reason: 'promoted; on probation until the guard has seen enough outcomes' };
  }

  return {
    config: c,
    decide,
    learn,
    refit,
    state: () => ({
      ...structuredClone(s),
      serving: roundVectors(s.serving),
      previous: s.previous ? roundVectors(s.previous) : null,
      candidate: roundVectors(s.candidate),
      gradSq: roundVectors(s.gradSq),
    }),
  };
}
