import type { PrivacyPolicy, TaskKind, Tier } from '../config/schemas.ts';

/** Scores the difficulty model predicts for one request (calibrated probabilities, 0..1). */
export interface RouterScores {
  /** P(the on-device model's answer is acceptable). */
  local: number;
  /** P(the mid model's answer is acceptable). */
  mid: number;
}

/** Why a decision deviates from the plain score policy (each one is also named in `reason`). */
export type DecisionFlag =
  | 'task-local-only'
  | 'cascade'
  | 'no-local-engine'
  | 'pii-local-only'
  | 'pii-redact'
  | 'budget-capped'
  | 'sticky'
  | 'trivial-follow-up'
  | 'user-asked-bigger'
  | 'tier-not-allowed';

/** Router output. Every answer shown to a person carries the decision that produced it. */
export interface Decision {
  tier: Tier;
  /** One human sentence naming what decided (scores vs the quality knob, or the override). */
  reason: string;
  scores: RouterScores;
  flags: DecisionFlag[];
}

/** What the policy knows about a request besides its text. */
export interface RouteContext {
  task?: TaskKind;
  /** 0..1; higher asks for more acceptability before staying cheap. */
  quality?: number;
  /** 1-based turn number in the conversation. */
  turn?: number;
  /** Highest tier used so far in this conversation. */
  conversationTier?: Tier;
  /** An on-device engine can run here. */
  localAvailable?: boolean;
  /** Tiers the site allows (default all). */
  allowedTiers?: Tier[];
  /** The privacy module found personal data in the text. */
  piiFound?: boolean;
  privacy?: PrivacyPolicy;
  /** The frontier budget for today is spent. */
  frontierBudgetExhausted?: boolean;
  /** The person asked for a bigger model ("Ask a bigger model", or said so in the text). */
  userAskedBigger?: boolean;
  /** The tier of the previous answer when the person asks for a bigger one. */
  previousTier?: Tier;
}
