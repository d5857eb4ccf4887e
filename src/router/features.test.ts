import { describe, expect, it } from 'vitest';
import { DENSE_NAMES, HASH_DIM, asksForBiggerModel, extractFeatures, normalizeText } from './features.ts';

const dense = (text: string, name: (typeof DENSE_NAMES)[number]): number =>
  extractFeatures(text).dense[DENSE_NAMES.indexOf(name)] as number;

describe('features', () => {
  it('unwraps benchmark prompts stored as Python list literals', () => {
    expect(normalizeText("['Line one\\nIt\\'s two']")).toBe("Line one\nIt's two");
    expect(normalizeText('plain text')).toBe('plain text');
  });
  it('hashes into the bucket range with finite values', () => {
    const f = extractFeatures('Write a function to sort a list.\n```python\ndef f(x): return sorted(x)\n```');
    expect(f.idx.length).toBe(f.val.length);
    for (const i of f.idx) expect(i >= 0 && i < HASH_DIM).toBe(true);
    for (const v of f.dense) expect(Number.isFinite(v)).toBe(true);
  });
  it('sees code, multiple-choice options, maths and domain cues', () => {
    expect(dense('def add(a, b):\n    return a + b', 'defSignature')).toBe(1);
    expect(dense('Which is a metal?\nA) wood\nB) iron\nC) glass\nD) wool', 'mcOptions')).toBeGreaterThan(1);
    expect(dense('Solve $\\frac{x}{2} = 3$', 'latex')).toBeGreaterThan(0);
    expect(dense('Review the indemnification clause for liability', 'hardDomain')).toBeGreaterThan(0);
    expect(dense('hello there', 'greeting')).toBe(1);
    expect(dense('A shop sells 3 pens at $2 each. How much for 7 pens?', 'wordProblem')).toBe(1);
  });
  it('detects requests for a bigger model', () => {
    expect(asksForBiggerModel('Can you use a bigger model for this?')).toBe(true);
    expect(asksForBiggerModel('ask GPT-4 instead')).toBe(true);
    expect(asksForBiggerModel('the bigger picture of the model railway')).toBe(false);
  });
});
