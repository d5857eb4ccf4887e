import { describe, expect, it } from 'vitest';
import {
  AbortError,
  QuotaExceededError,
  TierError,
  deserializeError,
  serializeError,
  toTierError,
} from './errors.ts';

describe('errors across boundaries', () => {
  it('round-trips a typed error with its class, code and data', () => {
    const original = new QuotaExceededError('Need 900 MB, 100 MB free', {
      data: { neededBytes: 900, availableBytes: 100 },
    });
    const wire = JSON.parse(JSON.stringify(serializeError(original))) as unknown;
    const rebuilt = deserializeError(wire);
    expect(rebuilt).toBeInstanceOf(QuotaExceededError);
    expect(rebuilt.code).toBe('quota_exceeded');
    expect(rebuilt.data).toEqual({ neededBytes: 900, availableBytes: 100 });
  });

  it('maps DOM aborts to AbortError', () => {
    const abort = new DOMException('stop', 'AbortError');
    expect(toTierError(abort)).toBeInstanceOf(AbortError);
    expect(serializeError(abort).code).toBe('aborted');
  });

  it('turns garbage into an internal TierError instead of throwing', () => {
    const rebuilt = deserializeError(42);
    expect(rebuilt).toBeInstanceOf(TierError);
    expect(rebuilt.code).toBe('internal');
    expect(deserializeError({ code: 'nope', message: 'x' }).code).toBe('internal');
  });
});
