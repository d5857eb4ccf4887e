import { describe, expect, it } from 'vitest';
import { decide, isTrivialFollowUp, tierForScores } from './policy.ts';
import type { RouterScores } from './types.ts';

const POLICY = { defaultQuality: 0.8, localMargin: 0 };
const EASY: RouterScores = { local: 0.95, mid: 0.97 };
const MEDIUM: RouterScores = { local: 0.4, mid: 0.9 };
const HARD: RouterScores = { local: 0.05, mid: 0.3 };
const text = 'Some request about a topic';

describe('score policy', () => {
  it('picks the cheapest tier whose acceptability clears the knob', () => {
    expect(decide(text, EASY, {}, POLICY).tier).toBe('local');
    expect(decide(text, MEDIUM, {}, POLICY).tier).toBe('mid');
    expect(decide(text, HARD, {}, POLICY).tier).toBe('frontier');
  });
  it('a higher quality knob escalates the same request', () => {
    expect(decide(text, MEDIUM, { quality: 0.3 }, POLICY).tier).toBe('local');
    expect(decide(text, MEDIUM, { quality: 0.95 }, POLICY).tier).toBe('frontier');
    expect(decide(text, EASY, { quality: 1 }, POLICY).tier).toBe('frontier');
  });
  it('the on-device margin lowers only the on-device bar', () => {
    const s = { local: 0.75, mid: 0.78 };
    expect(tierForScores(s, 0.8, 0)).toBe('frontier');
    expect(tierForScores(s, 0.8, 0.1)).toBe('local');
  });
  it('names the scores and the bar in the reason, with no flags', () => {
    const d = decide(text, MEDIUM, {}, POLICY);
    expect(d.reason).toMatch(/40%/);
    expect(d.reason).toMatch(/90%/);
    expect(d.flags).toEqual([]);
  });
});

describe('overrides', () => {
  it('autocomplete and a sentence rewrite stay on-device even when hard', () => {
    for (const task of ['autocomplete', 'rewrite'] as const) {
      const d = decide(text, HARD, { task }, POLICY);
      expect(d.tier).toBe('local');
      expect(d.flags).toContain('task-local-only');
      expect(d.reason).toMatch(/on-device only/);
    }
  });
  it('a long document rewrite is routed by score', () => {
    const d = decide('word '.repeat(300), HARD, { task: 'rewrite' }, POLICY);
    expect(d.tier).toBe('frontier');
    expect(d.flags).not.toContain('task-local-only');
  });
  it('classify and triage start on-device with the cascade flag', () => {
    for (const task of ['classify', 'triage'] as const) {
      const d = decide(text, HARD, { task }, POLICY);
      expect(d.tier).toBe('local');
      expect(d.flags).toContain('cascade');
      expect(d.reason).toMatch(/escalates/);
    }
  });
  it('no on-device engine -> mid', () => {
    const d = decide(text, EASY, { localAvailable: false }, POLICY);
    expect(d.tier).toBe('mid');
    expect(d.flags).toContain('no-local-engine');
    expect(d.reason).toMatch(/no on-device engine/);
  });
  it("personal data with 'local-only' stays on-device, even for a hard request", () => {
    const d = decide(text, HARD, { piiFound: true, privacy: 'local-only' }, POLICY);
    expect(d.tier).toBe('local');
    expect(d.flags).toContain('pii-local-only');
    expect(d.reason).toMatch(/personal data/);
  });
  it("'local-only' without an on-device engine says the request cannot leave the device", () => {
    const d = decide(text, HARD, { piiFound: true, privacy: 'local-only', localAvailable: false }, POLICY);
    expect(d.tier).toBe('local');
    expect(d.flags).toEqual(expect.arrayContaining(['pii-local-only', 'no-local-engine']));
  });
  it("'redact' may escalate, flagged pii-redact; not flagged when it stays on-device", () => {
    const up = decide(text, HARD, { piiFound: true, privacy: 'redact' }, POLICY);
    expect(up.tier).toBe('frontier');
    expect(up.flags).toContain('pii-redact');
    expect(up.reason).toMatch(/redacted/);
    expect(decide(text, EASY, { piiFound: true, privacy: 'redact' }, POLICY).flags).not.toContain(
      'pii-redact',
    );
    expect(decide(text, HARD, { piiFound: false, privacy: 'redact' }, POLICY).flags).not.toContain(
      'pii-redact',
    );
  });
  it('a spent frontier budget caps at mid', () => {
    const d = decide(text, HARD, { frontierBudgetExhausted: true }, POLICY);
    expect(d.tier).toBe('mid');
    expect(d.flags).toContain('budget-capped');
    expect(d.reason).toMatch(/budget/);
  });
  it('a conversation stays at the highest tier reached', () => {
    const d = decide(text, EASY, { conversationTier: 'frontier', turn: 3 }, POLICY);
    expect(d.tier).toBe('frontier');
    expect(d.flags).toContain('sticky');
  });
  it('except a trivial follow-up such as thanks', () => {
    for (const t of ['thanks!', 'ok great', 'Thank you so much :)', 'got it, thx']) {
      const d = decide(t, EASY, { conversationTier: 'frontier', turn: 4 }, POLICY);
      expect(d.tier, t).toBe('local');
      expect(d.flags).toContain('trivial-follow-up');
    }
  });
  it('asking for a bigger model goes one tier above the previous answer', () => {
    const a = decide(text, EASY, { userAskedBigger: true, previousTier: 'local' }, POLICY);
    expect(a.tier).toBe('mid');
    expect(a.flags).toContain('user-asked-bigger');
    expect(decide(text, EASY, { userAskedBigger: true, previousTier: 'mid' }, POLICY).tier).toBe('frontier');
    expect(decide(text, EASY, { userAskedBigger: true, previousTier: 'frontier' }, POLICY).tier).toBe(
      'frontier',
    );
  });
  it('goes exactly one tier above the previous answer even when the scores say frontier', () => {
    const d = decide('Please use a bigger model, that was wrong', HARD, { previousTier: 'local' }, POLICY);
    expect(d.tier).toBe('mid');
    expect(d.flags).toContain('user-asked-bigger');
  });
  it('without a previous tier, goes one above the score tier', () => {
    expect(decide(text, MEDIUM, { userAskedBigger: true }, POLICY).tier).toBe('frontier');
  });
  it('detects "use a bigger model" in the text', () => {
    const d = decide(
      'That was wrong, please use a bigger model for this.',
      EASY,
      { previousTier: 'local' },
      POLICY,
    );
    expect(d.tier).toBe('mid');
    expect(d.flags).toContain('user-asked-bigger');
  });
  it('allowedTiers moves to the nearest allowed tier', () => {
    const a = decide(text, HARD, { allowedTiers: ['local', 'mid'] }, POLICY);
    expect(a.tier).toBe('mid');
    expect(a.flags).toContain('tier-not-allowed');
    const b = decide(text, EASY, { allowedTiers: ['frontier'] }, POLICY);
    expect(b.tier).toBe('frontier');
    expect(b.reason).toMatch(/not allowed/);
  });
  it('the budget cap applies after stickiness', () => {
    const d = decide(
      text,
      EASY,
      { conversationTier: 'frontier', frontierBudgetExhausted: true, turn: 2 },
      POLICY,
    );
    expect(d.tier).toBe('mid');
    expect(d.flags).toEqual(expect.arrayContaining(['sticky', 'budget-capped']));
  });
});

describe('isTrivialFollowUp', () => {
  it('recognises acknowledgements and not questions', () => {
    expect(isTrivialFollowUp('ok')).toBe(true);
    expect(isTrivialFollowUp('Thanks, that worked!')).toBe(false);
    expect(isTrivialFollowUp('thanks, can you also check clause 7?')).toBe(false);
    expect(isTrivialFollowUp('ok why?')).toBe(false);
  });
});
