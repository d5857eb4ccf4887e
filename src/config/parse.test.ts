import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { HttpUrlSchema, PrivacyPolicySchema, parse } from './index.ts';

describe('parse', () => {
  it('returns the parsed value', () => {
    expect(parse(PrivacyPolicySchema, 'redact', 'attribute')).toBe('redact');
  });

  it('names the bad field in a ConfigError', () => {
    const schema = z.object({ gateway: z.object({ url: HttpUrlSchema }) });
    let caught: unknown;
    try {
      parse(schema, { gateway: { url: 'ftp://x' } }, 'settings');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.code).toBe('config_invalid');
    expect(error.data?.field).toBe('gateway.url');
    expect(error.message).toContain('gateway.url');
  });

  it('rejects relative URLs', () => {
    expect(() => parse(HttpUrlSchema, '/v1', 'gateway')).toThrow(ConfigError);
  });
});
