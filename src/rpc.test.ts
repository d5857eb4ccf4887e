import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AbortError, InvalidInputError, QuotaExceededError } from './errors.ts';
import { answer, parseRequest, PendingRequests } from './rpc.ts';

const protocol: Record<string, z.ZodType> = { predict: z.object({ text: z.string() }) };
const schemaOf = (name: string) => protocol[name];

describe('the shared request/response core', () => {
  it('rejects unknown names and bad payloads at the boundary, and returns the parsed payload', () => {
    expect(() => parseRequest(schemaOf, 'train', {}, 'worker request')).toThrow(InvalidInputError);
    try {
      parseRequest(schemaOf, 'predict', { text: 3 }, 'worker request');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).data).toMatchObject({ name: 'predict', field: 'text' });
    }
    expect(parseRequest(schemaOf, 'predict', { text: 'hi', extra: 1 }, 'worker request')).toEqual({
      name: 'predict',
      payload: { text: 'hi' },
    });
  });

  it('carries a handler error across as its class and code, and results by id', async () => {
    const pending = new PendingRequests();
    const partials: unknown[] = [];
    const outcome = new Promise((resolve, reject) => {
      const id = pending.add({ resolve, reject, onPartial: (v) => partials.push(v) });
      pending.partial(id, { done: 1 });
      void answer(() => {
        throw new QuotaExceededError('Storage is full: delete a cached model.');
      }).then((reply) => pending.settle(id, reply));
    });
    await expect(outcome).rejects.toBeInstanceOf(QuotaExceededError);
    expect(partials).toEqual([{ done: 1 }]);

    const ok = new Promise((resolve, reject) => {
      const id = pending.add({ resolve, reject });
      void answer(async () => 42).then((reply) => pending.settle(id, reply));
    });
    await expect(ok).resolves.toBe(42);
  });

  it('a dropped request ignores its late reply; failAll rejects everything in flight', async () => {
    const pending = new PendingRequests();
    let settled = false;
    const id = pending.add({ resolve: () => (settled = true), reject: () => (settled = true) });
    expect(pending.drop(id)).toBe(true);
    pending.settle(id, { ok: true, result: 1 });
    expect(settled).toBe(false);
    const a = new Promise((resolve, reject) => pending.add({ resolve, reject }));
    const b = new Promise((resolve, reject) => pending.add({ resolve, reject }));
    pending.failAll(new AbortError());
    await expect(a).rejects.toBeInstanceOf(AbortError);
    await expect(b).rejects.toBeInstanceOf(AbortError);
  });
});
