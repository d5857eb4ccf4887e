import { describe, expect, it } from 'vitest';
import { InvalidOutputError } from '../errors.ts';
import { validateJson } from './json-schema.ts';
import { Mutex, StopMatcher, createGenerationStream, validateWithOneRetry } from './stream.ts';
import type { GenerateResult } from './types.ts';

const result = (text: string, finishReason: GenerateResult['finishReason'] = 'stop'): GenerateResult => ({
  text,
  finishReason,
  usage: { promptTokens: 1, completionTokens: 1 },
  timings: { ttftMs: 1, totalMs: 1, decodeTokPerSec: 1 },
  model: 'm',
});

describe('StopMatcher', () => {
  it('holds back a possible stop prefix across deltas and never emits the stop text', () => {
    const m = new StopMatcher(['\n\nUser:']);
    expect(m.push('Hello')).toBe('Hello');
    expect(m.push(' there\n')).toBe(' there');
    expect(m.push('\nUs')).toBe('');
    expect(m.push('er: hi')).toBe('');
    expect(m.stopped).toBe(true);
    const n = new StopMatcher(['END']);
    expect(n.push('bE')).toBe('b');
    expect(n.push('X')).toBe('EX');
    expect(n.push('E')).toBe('');
    expect(n.flush()).toBe('E');
    expect(new StopMatcher(undefined).push('x')).toBe('x');
  });
});

describe('createGenerationStream', () => {
  it('buffers deltas for late readers and rethrows failures from the iterator', async () => {
    const s = createGenerationStream(async (emit) => {
      emit('a');
      emit('b');
      return result('ab');
    });
    await s.result;
    const seen: string[] = [];
    for await (const d of s) seen.push(d);
    expect(seen).toEqual(['a', 'b']);
    const failing = createGenerationStream(async () => {
      throw new InvalidOutputError('bad');
    });
    await expect(failing.result).rejects.toBeInstanceOf(InvalidOutputError);
    await expect(
      (async () => {
        for await (const _ of failing) void _;
      })(),
    ).rejects.toBeInstanceOf(InvalidOutputError);
  });

  it('Mutex runs tasks one at a time, also after a failure', async () => {
    const m = new Mutex();
    const order: string[] = [];
    const a = m.run(async () => {
      await new Promise((r) => setTimeout(r, 10));
      order.push('a');
      throw new Error('x');
    });
    const b = m.run(async () => void order.push('b'));
    await expect(a).rejects.toThrow('x');
    await b;
    expect(order).toEqual(['a', 'b']);
  });
});

describe('JSON validation with one retry', () => {
  const schema = {
    type: 'object',
    properties: {
      label: { type: 'string', enum: ['billing', 'bug'] },
      urgency: { type: 'integer', minimum: 1, maximum: 3 },
      tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
    },
    required: ['label'],
    additionalProperties: false,
  };

  it('validates types, enums, ranges, arrays and extra keys', () => {
    expect(validateJson({ label: 'bug', urgency: 2, tags: ['a'] }, schema)).toEqual([]);
    expect(validateJson({ label: 'weather' }, schema)[0]).toMatch(/\$\.label: must be one of/);
    expect(validateJson({ label: 'bug', urgency: 1.5 }, schema)[0]).toMatch(/expected integer/);
    expect(validateJson({ label: 'bug', urgency: 9 }, schema)[0]).toMatch(/above 3/);
    expect(validateJson({ label: 'bug', tags: ['a', 'b', 'c'] }, schema)[0]).toMatch(/more than 2/);
    expect(validateJson({ label: 'bug', x: 1 }, schema)[0]).toMatch(/unexpected "x"/);
    expect(validateJson({}, schema)[0]).toMatch(/missing "label"/);
    expect(validateJson('x', { anyOf: [{ type: 'number' }, { type: 'string', pattern: '^x$' }] })).toEqual(
      [],
    );
  });

  it('accepts a fenced valid answer, retries once, then fails with the reasons', async () => {
    const ok = await validateWithOneRetry(result('```json\n{"label":"bug"}\n```'), schema, async () =>
      result(''),
    );
    expect(ok).toMatchObject({ text: '{"label":"bug"}', attempts: 1 });
    let problem = '';
    const retried = await validateWithOneRetry(result('{"label":"x"}'), schema, async (p) => {
      problem = p;
      return result('{"label":"billing"}');
    });
    expect(retried.attempts).toBe(2);
    expect(problem).toMatch(/must be one of/);
    const cut = validateWithOneRetry(result('{"label":', 'length'), schema, async () => result('nope'));
    await expect(cut).rejects.toBeInstanceOf(InvalidOutputError);
  });
});
