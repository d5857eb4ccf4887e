import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import weights from './weights.json' with { type: 'json' };
import { createRouter, route, scoreRequest, type RouterWeights } from './index.ts';

// Everyday product requests written for this test (not in data/router/*.jsonl): the default router must
// keep greetings, lookups and small edits on-device and send contracts, disputes, proofs and heavy
// reasoning to the frontier.
const ON_DEVICE = [
  'Hello, good morning!',
  'thank you!!',
  'What is the capital of Norway?',
  'Who wrote Romeo and Juliet?',
  'Fix the grammar in this: "they was late to the meeting"',
  'Is this review happy or unhappy? "Terrible fit, sending it back."',
  'What does the abbreviation PDF stand for?',
];
const FRONTIER = [
  'Please review this commercial lease and identify the clauses on assignment, indemnity and early termination that put the tenant at risk, then propose alternative wording.',
  'A buyer opened a fraud dispute on a $2,150 laptop order that shipped to the billing address with signature confirmation. Analyze the evidence and write our chargeback rebuttal.',
  "Prove that the sum of the angles of a triangle is 180 degrees using Euclid's parallel postulate, justifying every step.",
  'My patient is on lithium and just started an ACE inhibitor and a thiazide diuretic. Explain the interaction mechanism, the toxicity risk and the monitoring plan.',
  'Is the arbitration clause in my contract enforceable?',
  'A cardholder claims fraud on an order we delivered. How do we fight the chargeback?',
  'Prove that 7 divides 8^n - 1 for every n.',
  'Write a complete multi-threaded web crawler in Java with politeness delays, robots.txt parsing, a persistent frontier and deduplication, including the full source code and tests.',
];

describe('route() on everyday product traffic (held-out phrasing)', () => {
  it.each(ON_DEVICE)('keeps "%s" on-device', (text) => {
    expect(route(text).tier).toBe('local');
  });
  it.each(FRONTIER)('sends "%s" to the frontier', (text) => {
    expect(route(text).tier).toBe('frontier');
  });
  it('a short code request does not stay on-device', () => {
    expect(route('Write a JavaScript function that removes duplicates from an array.').tier).not.toBe(
      'local',
    );
  });
});

describe('Decision shape and scores', () => {
  it('returns tier, a human reason, calibrated scores and flags', () => {
    const d = route('What time does the pharmacy open on Sunday?');
    expect(['local', 'mid', 'frontier']).toContain(d.tier);
    expect(d.reason.length).toBeGreaterThan(20);
    expect(d.scores.local).toBeGreaterThanOrEqual(0);
    expect(d.scores.mid).toBeLessThanOrEqual(1);
    expect(d.scores.mid).toBeGreaterThanOrEqual(d.scores.local);
    expect(Array.isArray(d.flags)).toBe(true);
  });
  it('is deterministic and handles empty and huge input', () => {
    expect(scoreRequest('hello')).toEqual(scoreRequest('hello'));
    expect(['local', 'mid', 'frontier']).toContain(route('').tier);
    const huge = route('lorem ipsum '.repeat(20_000));
    expect(Number.isFinite(huge.scores.local)).toBe(true);
  });
  it('a hard request scores lower than a greeting on both heads', () => {
    const easy = scoreRequest('hi there');
    const hard = scoreRequest(
      'Prove that there is no largest prime and analyze the complexity of the sieve of Eratosthenes.',
    );
    expect(hard.local).toBeLessThan(easy.local);
    expect(hard.mid).toBeLessThan(easy.mid);
  });
  it('passes the turn through to the decision context', () => {
    const d = route('thanks!', { turn: 5, conversationTier: 'frontier' });
    expect(d.tier).toBe('local');
    expect(d.flags).toContain('trivial-follow-up');
  });
});

describe('createRouter', () => {
  it('routes with the given weights', () => {
    const r = createRouter(weights as unknown as RouterWeights);
    expect(r.route('hello').tier).toBe(route('hello').tier);
  });
  it('refuses weights that do not match the featuriser', () => {
    const bad = { ...(weights as unknown as RouterWeights), hashDim: 16 };
    expect(() => createRouter(bad)).toThrow(ConfigError);
  });
});
