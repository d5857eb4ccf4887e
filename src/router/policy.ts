/**
 * The routing policy: the cheapest tier whose predicted acceptability clears the quality knob, then the
 * overrides (task kind, conversation, user request, privacy, capability, budget, allowed tiers), each
 * named in `reason` and `flags`.
 */
import type { Tier } from '../config/schemas.ts';
import { asksForBiggerModel, normalizeText } from './features.ts';
import type { Decision, DecisionFlag, RouteContext, RouterScores } from './types.ts';

const ORDER: readonly Tier[] = ['local', 'mid', 'frontier'];
const rank = (t: Tier): number => ORDER.indexOf(t);
const higher = (a: Tier, b: Tier): Tier => (rank(a) >= rank(b) ? a : b);
const up = (t: Tier): Tier => ORDER[Math.min(2, rank(t) + 1)] as Tier;

/** Sentence rewrites longer than this are treated as documents (routed by score). */
const SENTENCE_REWRITE_MAX_CHARS = 600;

const TRIVIAL =
  /^(?:(?:ok(?:ay)?|k|thanks?(?: you)?(?: so much| a lot)?|thx|ty|cheers|great|perfect|cool|nice|awesome|got it|sounds good|understood|yes|no|yep|nope|sure|bye|goodbye|good night|that'?s (?:all|it|great|perfect)|makes sense|will do|done|lol)[\s,.!]*)+(?:[:;]-?[)D])?\s*$/i;

/** A trivial follow-up ("thanks", "ok great!") that needs no big model even mid-conversation. */
export function isTrivialFollowUp(text: string): boolean {
  const t = normalizeText(text);
  return t.length <= 60 && TRIVIAL.test(t);
}

/** Map the quality knob to the acceptability a cheaper tier needs (calibrated probability). */
export function thresholdFor(quality: number): number {
  return Math.min(0.995, Math.max(0.05, quality));
}

/**
 * Tier from scores alone. On-device needs `threshold - localMargin`: the cascade verifier backs up every
 * on-device answer, so a wrong one costs a retry rather than a bad answer (the margin is fitted on train).
 */
export function tierForScores(scores: RouterScores, quality: number, localMargin = 0): Tier {
  const t = thresholdFor(quality);
  if (scores.local >= Math.max(0.05, t - localMargin)) return 'local';
  if (scores.mid >= t) return 'mid';
  return 'frontier';
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;

/** Apply the policy to scores and context. */
export function decide(
  text: string,
  scores: RouterScores,
  context: RouteContext,
  policy: { defaultQuality: number; localMargin?: number },
): Decision {
  const quality = context.quality ?? policy.defaultQuality;
  const flags: DecisionFlag[] = [];
  const reasons: string[] = [];
  const margin = policy.localMargin ?? 0;
  let tier = tierForScores(scores, quality, margin);
  const t = thresholdFor(quality);
  const tl = Math.max(0.05, t - margin);
  if (tier === 'local')
    reasons.push(`on-device is likely good enough (${pct(scores.local)} >= ${pct(tl)} needed)`);
  else if (tier === 'mid')
    reasons.push(
      `on-device ${pct(scores.local)} is below ${pct(tl)} needed, mid ${pct(scores.mid)} clears it`,
    );
  else
    reasons.push(
      `neither on-device (${pct(scores.local)}) nor mid (${pct(scores.mid)}) reaches ${pct(t)} needed`,
    );

  const trivial = isTrivialFollowUp(text) && (context.turn ?? 1) > 1;
  const task = context.task;
  let taskPinned = false;
  if (
    task === 'autocomplete' ||
    (task === 'rewrite' && normalizeText(text).length <= SENTENCE_REWRITE_MAX_CHARS)
  ) {
    tier = 'local';
    taskPinned = true;
    flags.push('task-local-only');
    reasons.push(`${task === 'autocomplete' ? 'autocomplete' : 'a sentence rewrite'} runs on-device only`);
  } else if (task === 'classify' || task === 'triage') {
    tier = 'local';
    flags.push('cascade');
    reasons.push(`${task} runs on-device first and escalates if the verifier rejects the answer`);
  }

  if (!taskPinned && (context.userAskedBigger || asksForBiggerModel(text))) {
    // "Ask a bigger model" is about the previous answer: exactly one tier above it (the text of such a
    // request says nothing about difficulty). Without a previous tier, one above the conversation's or
    // the score's tier.
    const from = context.previousTier ?? context.conversationTier ?? tier;
    const target = context.previousTier ? up(from) : higher(up(from), tier);
    tier = target;
    flags.push('user-asked-bigger');
    reasons.push(`the person asked for a bigger model than ${from}, so ${target}`);
  }

  if (!taskPinned && context.conversationTier && rank(context.conversationTier) > rank(tier)) {
    if (trivial) {
      tier = 'local';
      flags.push('trivial-follow-up');
      reasons.push('a trivial follow-up does not need the conversation tier');
    } else {
      tier = context.conversationTier;
      flags.push('sticky');
      reasons.push(`the conversation already reached ${tier} and stays there`);
    }
  } else if (trivial && tier !== 'local' && !taskPinned) {
    tier = 'local';
    flags.push('trivial-follow-up');
    reasons.push('a trivial follow-up stays on-device');
  }

  const piiLocal = Boolean(context.piiFound) && context.privacy === 'local-only';
  if (piiLocal) {
    if (tier !== 'local')
      reasons.push(`personal data must stay on this device, so on-device instead of ${tier}`);
    else reasons.push('personal data stays on this device');
    tier = 'local';
    flags.push('pii-local-only');
    if (context.localAvailable === false) {
      flags.push('no-local-engine');
      reasons.push(
        'no on-device engine can run here, so the request cannot be answered without sending personal data',
      );
    }
  } else {
    if (context.localAvailable === false && tier === 'local') {
      tier = 'mid';
      flags.push('no-local-engine');
      reasons.push('no on-device engine can run here, so mid');
    }
    if (context.frontierBudgetExhausted && tier === 'frontier') {
      tier = 'mid';
      flags.push('budget-capped');
      reasons.push("today's frontier budget is spent, so mid");
    }
    const allowed = context.allowedTiers;
    if (allowed && allowed.length > 0 && !allowed.includes(tier)) {
      const from = tier;
      const candidates = [...allowed].sort(
        (a, b) => Math.abs(rank(a) - rank(from)) - Math.abs(rank(b) - rank(from)) || rank(b) - rank(a),
      );
      tier = candidates[0] as Tier;
      flags.push('tier-not-allowed');
      reasons.push(`${from} is not allowed on this site, so ${tier}`);
    }
    if (context.piiFound && context.privacy === 'redact' && tier !== 'local') {
      flags.push('pii-redact');
      reasons.push('personal data is redacted before the request leaves the device');
    }
  }
  const sentence = reasons.join('; ');
  return {
    tier,
    reason: `${tierName(tier)}: ${sentence}.`,
    scores,
    flags,
  };
}

function tierName(t: Tier): string {
  return t === 'local' ? 'On-device' : t === 'mid' ? 'Mid' : 'Frontier';
}
