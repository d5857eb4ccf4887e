/**
 * The learning loop in the browser (issue 15): a per-user online router (src/router/online.ts) whose
 * state lives in the feedback store (IndexedDB), fed every feedback record an answer earns, refitted
 * every `refitEvery` records and on load, and used for the route decision instead of the static router.
 * With learning off it still records (so the site can export the feedback) but routes exactly as the
 * static router does. Records and state hold features and scores only, never text.
 *
 * The decision is the static policy (src/router/policy.ts, with every override) applied to the online
 * router's corrected scores; an exploring decision is kept only when no override pinned the tier, and its
 * propensity travels with the answer (`LearningTag`) so the feedback can be importance-weighted. Why the
 * learner works as it does: docs/adr/0004-online-router.md.
 */
import type { TaskKind, Tier } from '../config/schemas.ts';
import { ConfigError } from '../errors.ts';
import { feedbackRecord, type FeedbackRecord, type FeedbackSignal } from '../router/feedback.ts';
import type { RouterWeights } from '../router/model.ts';
import { onlineFeatures } from '../router/online-features.ts';
import type { OnlineConfig } from '../router/online-state.ts';
import { createOnlineRouter, type OnlineRouter } from '../router/online.ts';
import { decide as policyDecide } from '../router/policy.ts';
import type { Decision, RouteContext } from '../router/types.ts';
import weightsJson from '../router/weights.json' with { type: 'json' };
import type { LearningTag, RouteLearner } from './types.ts';

/** Where records go and the state is kept (FeedbackStore implements it). */
export interface FeedbackSink {
  add(value: unknown): Promise<FeedbackRecord>;
  loadState(): Promise<unknown>;
  saveState(state: unknown): Promise<void>;
}

export interface RollbackInfo {
  /** The serving version after the rollback. */
  version: number;
  /** Rollbacks so far in this browser. */
  rollbacks: number;
}

export interface LearnerOptions {
  store: FeedbackSink;
  /** Learn from the records and route with what was learned (default true); false: record only. */
  learn?: boolean;
  /** Refit after this many records (default 25); also once on open. */
  refitEvery?: number;
  /** Settings of a new online router (a saved state carries its own). */
  config?: Partial<OnlineConfig>;
  weights?: RouterWeights;
  /** The surface booked in each record (default 'tier-assist'). */
  surface?: string;
  /** A refit that lowered observed quality was rolled back by itself. */
  onRolledBack?: (info: RollbackInfo) => void;
}

const PINNING = new Set<Decision['flags'][number]>([
  'task-local-only',
  'cascade',
  'no-local-engine',
  'pii-local-only',
  'budget-capped',
  'sticky',
  'trivial-follow-up',
  'user-asked-bigger',
  'tier-not-allowed',
]);
const NAME: Record<Tier, string> = { local: 'On-device', mid: 'Mid', frontier: 'Frontier' };

export class Learner implements RouteLearner {
  readonly learning: boolean;
  readonly #store: FeedbackSink;
  readonly #weights: RouterWeights;
  readonly #online: OnlineRouter;
  readonly #refitEvery: number;
  readonly #surface: string;
  readonly #onRolledBack: LearnerOptions['onRolledBack'];
  #sinceRefit = 0;
  #chain: Promise<unknown> = Promise.resolve();

  private constructor(options: LearnerOptions, online: OnlineRouter) {
    this.learning = options.learn !== false;
    this.#store = options.store;
    this.#weights = options.weights ?? (weightsJson as unknown as RouterWeights);
    this.#online = online;
    this.#refitEvery = Math.max(1, options.refitEvery ?? 25);
    this.#surface = options.surface ?? 'tier-assist';
    this.#onRolledBack = options.onRolledBack;
  }

  /**
   * Load the saved state (a malformed one is discarded: learning starts again from the static router,
   * which is always safe), refit once, and save.
   */
  static async open(options: LearnerOptions): Promise<Learner> {
    const saved = await options.store.loadState();
    let online: OnlineRouter | undefined;
    if (saved !== undefined) {
      try {
        online = createOnlineRouter({ state: saved });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
      }
    }
    online ??= createOnlineRouter({ config: options.config ?? {}, seed: Date.now() >>> 0 });
    const learner = new Learner(options, online);
    if (learner.learning) {
      online.refit();
      await options.store.saveState(online.state());
    }
    return learner;
  }

  /** The online router (read its state, or decide, in tests and tools). */
  get router(): OnlineRouter {
    return this.#online;
  }

  /** The decision for one request, and what its feedback will need (features, propensity, version). */
  route(text: string, context: RouteContext = {}): { decision: Decision; tag: LearningTag } {
    const features = onlineFeatures(this.#weights, text, context.turn ?? 1);
    const policy = this.#weights.policy;
    const fixed = policyDecide(text, features.scores, context, policy);
    if (!this.learning) return { decision: fixed, tag: { features, propensity: 1 } };
    const pinned = fixed.flags.some((f) => PINNING.has(f));
    const d = this.#online.decide(features, {
      quality: context.quality ?? policy.defaultQuality,
      localMargin: policy.localMargin ?? 0,
      localAvailable: context.localAvailable !== false,
      explore: !pinned,
    });
    let decision = policyDecide(text, d.scores, context, policy);
    let propensity = decision.tier === d.greedyTier ? d.propensity : 1;
    const allowed = context.allowedTiers;
    if (d.explored && !pinned && decision.tier === d.greedyTier) {
      if (!allowed || allowed.includes(d.tier)) {
        decision = {
          ...decision,
          tier: d.tier,
          reason: `${NAME[d.tier]}: trying the ${d.tier} tier on a request near the boundary to learn what it does (instead of ${d.greedyTier}).`,
        };
        propensity = d.propensity;
      } else propensity = 1;
    } else if (!pinned && d.greedyTier !== d.staticTier) {
      decision = {
        ...decision,
        reason: `${decision.reason.replace(/\.$/, '')}; learned from feedback in this browser (the static router would pick ${d.staticTier}).`,
      };
    }
    return { decision, tag: { features, propensity, version: d.version } };
  }

  /**
   * Record what happened after an answer of `tier` (stored first, then learned; a refit every
   * `refitEvery` records; the state saved). Records are applied one at a time, in order.
   */
  record(signal: FeedbackSignal, tier: Tier, tag: LearningTag, task?: TaskKind): Promise<FeedbackRecord> {
    const record = feedbackRecord(
      signal,
      {
        features: tag.features,
        tier,
        propensity: tag.propensity,
        ...(tag.version !== undefined ? { version: tag.version } : {}),
      },
      { surface: this.#surface, ...(task ? { task } : {}) },
    );
    const run = this.#chain.then(async () => {
      const stored = await this.#store.add(record);
      if (!this.learning) return stored;
      const { rolledBack } = this.#online.learn(stored.feedback);
      this.#sinceRefit += 1;
      if (this.#sinceRefit >= this.#refitEvery) {
        this.#sinceRefit = 0;
        this.#online.refit();
      }
      await this.#store.saveState(this.#online.state());
      if (rolledBack) {
        const { counters } = this.#online.state();
        this.#onRolledBack?.({ version: counters.version, rollbacks: counters.rollbacks });
      }
      return stored;
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves when every record given so far has been stored and learned. */
  async flush(): Promise<void> {
    await this.#chain;
  }
}
