import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PREFIX_CHARS,
  MAX_PREFIX_CHARS,
  MIN_PREFIX_CHARS,
  PrefixBudget,
  prefixBudgetChars,
  prefixWindow,
} from './prefix-window.ts';

/** Deterministic prose: sentences of words, with a paragraph break now and then. */
function prose(length: number): string {
  const words = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'a', 'lazy', 'dog', 'again'];
  let text = '';
  for (let i = 0; text.length < length; i += 1) {
    text += words[(i * 7) % words.length];
    text += i % 11 === 10 ? (i % 33 === 32 ? '.\n' : '. ') : ' ';
  }
  return text.slice(0, length);
}

describe('prefixWindow', () => {
  it('takes all of a short text, from its start', () => {
    expect(prefixWindow('Hello there', 256)).toEqual({ start: 0, prefix: 'Hello there' });
  });

  it('keeps the start put while the person types, so each prompt extends the previous one', () => {
    const text = prose(5000);
    let previous = prefixWindow(text.slice(0, 3000), 1024);
    let reanchors = 0;
    for (let caret = 3001; caret <= 5000; caret += 1) {
      const window = prefixWindow(text.slice(0, caret), 1024);
      expect(window.prefix.length).toBeLessThanOrEqual(1024);
      if (window.start === previous.start) {
        expect(window.prefix.startsWith(previous.prefix)).toBe(true);
      } else {
        reanchors += 1;
        expect(window.start).toBeGreaterThan(previous.start);
      }
      previous = window;
    }
    // 2,000 characters typed with a 1,024 window (steps of 256): about 8 re-anchors, not 2,000.
    expect(reanchors).toBeGreaterThanOrEqual(6);
    expect(reanchors).toBeLessThanOrEqual(9);
  });

  it('starts at a sentence or word start, and stays at least 5/8 of the maximum long', () => {
    const text = prose(4000);
    for (let caret = 1100; caret <= 4000; caret += 37) {
      const { start, prefix } = prefixWindow(text.slice(0, caret), 1024);
      expect(prefix.length).toBeGreaterThanOrEqual((1024 * 5) / 8);
      expect(/\s/.test(text[start - 1]!)).toBe(true);
      expect(/\S/.test(text[start]!)).toBe(true);
    }
  });

  it('prefers the start of a sentence over the start of a word', () => {
    // A sentence ends 40 characters after the raw start (1000 - 900 = 100 -> step 225 -> 225).
    const text = `${'x'.repeat(230)} word word. Next sentence ${'y '.repeat(400)}`.slice(0, 1000);
    const { prefix } = prefixWindow(text, 900);
    expect(prefix.startsWith('Next sentence')).toBe(true);
  });

  it('keeps the raw start when there is no boundary nearby (one long token)', () => {
    const text = 'z'.repeat(3000);
    const { start, prefix } = prefixWindow(text, 1000);
    expect(start % 250).toBe(0);
    expect(prefix.length).toBeLessThanOrEqual(1000);
  });
});

describe('prefixBudgetChars', () => {
  it('uses the default while nothing is measured', () => {
    expect(prefixBudgetChars(undefined)).toBe(DEFAULT_PREFIX_CHARS);
    expect(prefixBudgetChars(0)).toBe(DEFAULT_PREFIX_CHARS);
    expect(prefixBudgetChars(Number.NaN)).toBe(DEFAULT_PREFIX_CHARS);
  });

  it('fits a cold prefix into about a second of the measured prefill speed', () => {
    // 135M shape, wasm, 2 threads: ~30 tok/s -> 120 chars: the floor.
    expect(prefixBudgetChars(30)).toBe(MIN_PREFIX_CHARS);
    // 100 tok/s -> 400 chars -> 256; 300 tok/s -> 1200 -> 1024.
    expect(prefixBudgetChars(100)).toBe(256);
    expect(prefixBudgetChars(300)).toBe(1024);
    // Native-class speeds hit the ceiling.
    expect(prefixBudgetChars(5000)).toBe(MAX_PREFIX_CHARS);
    for (const speed of [1, 50, 130, 200, 700, 10_000]) {
      const chars = prefixBudgetChars(speed);
      expect(chars).toBeGreaterThanOrEqual(MIN_PREFIX_CHARS);
      expect(chars).toBeLessThanOrEqual(MAX_PREFIX_CHARS);
      if (chars > MIN_PREFIX_CHARS) expect(chars / 4 / speed).toBeLessThanOrEqual(1);
    }
  });
});

describe('PrefixBudget', () => {
  it('follows a clear change of speed but not noise around a boundary', () => {
    const budget = new PrefixBudget();
    expect(budget.update(undefined)).toBe(DEFAULT_PREFIX_CHARS);
    expect(budget.update(300)).toBe(1024); // first measurement: clearly affords 1024
    // Medians wobbling across the 1024/2048 boundary (512 tok/s) do not move the window.
    for (const speed of [500, 530, 490, 520, 600]) expect(budget.update(speed)).toBe(1024);
    // Clearly faster: grow.
    expect(budget.update(700)).toBe(2048);
    // Wobbling just under what 2048 needs: keep it.
    expect(budget.update(480)).toBe(2048);
    // Clearly slower (the device is busy): shrink now.
    expect(budget.update(100)).toBe(256);
    expect(budget.chars).toBe(256);
  });
});
