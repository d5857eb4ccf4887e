import { describe, expect, it } from 'vitest';
import { matchesSchema } from './verifier.ts';
import { verifyAnswer } from './index.ts';

const stop = 'stop' as const;

describe('verifyAnswer hard rules', () => {
  it('accepts a plain, complete answer', () => {
    const v = verifyAnswer({ text: 'Paris is the capital of France.', finishReason: stop });
    expect(v.accept).toBe(true);
    expect(v.signals.refusal).toBe(false);
  });
  it('rejects an empty answer', () => {
    expect(verifyAnswer({ text: '   ', finishReason: stop }).accept).toBe(false);
  });
  it('rejects a truncated or aborted answer', () => {
    for (const finishReason of ['length', 'abort'] as const) {
      const v = verifyAnswer({ text: 'The answer is that the first', finishReason });
      expect(v.accept).toBe(false);
      expect(v.signals.truncated).toBe(true);
    }
  });
  it('rejects refusals and "I don\'t know"', () => {
    const a = verifyAnswer({ text: "I'm sorry, but I can't help with that request.", finishReason: stop });
    expect(a.accept).toBe(false);
    expect(a.signals.refusal).toBe(true);
    const b = verifyAnswer({ text: "I don't know the exact figure for that.", finishReason: stop });
    expect(b.accept).toBe(false);
    expect(b.signals.dontKnow).toBe(true);
  });
  it('checks the JSON schema of structured output', () => {
    const jsonSchema = {
      type: 'object',
      required: ['category', 'urgency'],
      properties: {
        category: { type: 'string', enum: ['billing', 'shipping'] },
        urgency: { type: 'integer' },
      },
    };
    expect(
      verifyAnswer({ text: '{"category":"billing","urgency":2}', finishReason: stop, jsonSchema }).accept,
    ).toBe(true);
    const bad = verifyAnswer({ text: '{"category":"weather","urgency":2}', finishReason: stop, jsonSchema });
    expect(bad.accept).toBe(false);
    expect(bad.signals.schemaValid).toBe(false);
    expect(verifyAnswer({ text: 'billing, urgent', finishReason: stop, jsonSchema }).accept).toBe(false);
    expect(
      verifyAnswer({
        text: '```json\n{"category":"shipping","urgency":1}\n```',
        finishReason: stop,
        jsonSchema,
      }).accept,
    ).toBe(true);
  });
  it('rejects low token logprobs (hand-set limits) and accepts confident ones', () => {
    const unsure = Array.from({ length: 10 }, (_, i) => ({ token: `t${i}`, logprob: -2.5 }));
    const v = verifyAnswer({ text: 'The meeting is on Tuesday.', finishReason: stop, logprobs: unsure });
    expect(v.accept).toBe(false);
    expect(v.signals.meanLogprob).toBeCloseTo(-2.5);
    const spike = [
      { token: 'a', logprob: -0.1 },
      { token: 'b', logprob: -12 },
    ];
    expect(
      verifyAnswer({ text: 'The meeting is on Tuesday.', finishReason: stop, logprobs: spike }).accept,
    ).toBe(false);
    const sure = [
      { token: 'a', logprob: -0.05 },
      { token: 'b', logprob: -0.3 },
    ];
    expect(
      verifyAnswer({ text: 'The meeting is on Tuesday.', finishReason: stop, logprobs: sure }).accept,
    ).toBe(true);
  });
  it('with the prompt, checks the answer format: an option letter for a multiple-choice question', () => {
    const prompt = 'Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide\nC) Helium\nD) Neon\nAnswer:';
    expect(verifyAnswer({ text: 'B', finishReason: stop, prompt }).signals.formatValid).toBe(true);
    const v = verifyAnswer({
      text: 'Plants are very interesting organisms that do many things all day long.',
      finishReason: stop,
      prompt,
    });
    expect(v.accept).toBe(false);
    expect(v.signals.formatValid).toBe(false);
  });
  it('with a maths word problem, a non-integer final answer lowers confidence', () => {
    const prompt = 'Tom has 12 apples and gives 5 to Ann. How many apples does Tom have left?';
    const good = verifyAnswer({ text: '12 - 5 = 7. The answer is 7', finishReason: stop, prompt });
    const odd = verifyAnswer({ text: '12 / 5 = 2.4. The answer is 2.4', finishReason: stop, prompt });
    expect(good.signals.finalNotInteger).toBe(false);
    expect(odd.signals.finalNotInteger).toBe(true);
    expect(Number(odd.signals.pAccept ?? 0)).toBeLessThan(Number(good.signals.pAccept));
    expect(verifyAnswer({ text: 'Tom is generous.', finishReason: stop, prompt }).accept).toBe(false);
  });
});

describe('verifyAnswer without the prompt (product answers)', () => {
  it('does not reject a long, varied answer for its length', () => {
    const text = Array.from(
      { length: 30 },
      (_, i) =>
        `Step ${i + 1}: open panel ${i} and check that setting number ${i * 7} is enabled for your team.`,
    ).join(' ');
    expect(verifyAnswer({ text, finishReason: stop }).accept).toBe(true);
  });
  it('rejects a small model stuck in a loop', () => {
    const text = 'The order ships soon. '.repeat(12);
    const v = verifyAnswer({ text, finishReason: stop });
    expect(v.accept).toBe(false);
    expect(Number(v.signals.repetition)).toBeGreaterThanOrEqual(0.5);
  });
  it('rejects an answer made mostly of hedges', () => {
    const v = verifyAnswer({ text: 'I think it might possibly be around 40, maybe.', finishReason: stop });
    expect(v.accept).toBe(false);
  });
});

describe('matchesSchema', () => {
  it('handles arrays, required keys and number types', () => {
    const s = {
      type: 'array',
      items: { type: 'object', required: ['id'], properties: { id: { type: 'number' } } },
    };
    expect(matchesSchema([{ id: 1 }, { id: 2.5 }], s)).toBe(true);
    expect(matchesSchema([{ id: '1' }], s)).toBe(false);
    expect(matchesSchema([{}], s)).toBe(false);
    expect(matchesSchema({ id: 1 }, s)).toBe(false);
  });
});
