import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../errors.ts';
import { peekToken, safeEqual, signToken, verifyToken } from './tokens.ts';

const SECRET = 'a-site-secret-of-some-length';
const now = Date.UTC(2026, 10, 29, 12);
const payload = { site: 'shop', aud: 'https://shop.example', exp: now / 1000 + 60 };

describe('site tokens', () => {
  it('round-trips site, audience and expiry', async () => {
    const token = await signToken(payload, SECRET);
    expect(token.startsWith('ta1.')).toBe(true);
    expect(peekToken(token)).toEqual(payload);
    expect(await verifyToken(token, SECRET, now)).toEqual(payload);
  });

  it('refuses another secret, an edited payload, expiry and garbage', async () => {
    const token = await signToken(payload, SECRET);
    await expect(verifyToken(token, 'another-secret-entirely', now)).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    const [, body, sig] = token.split('.');
    const edited = JSON.parse(Buffer.from(body!, 'base64url').toString()) as typeof payload;
    const forged = `ta1.${Buffer.from(JSON.stringify({ ...edited, aud: 'https://evil.example' })).toString('base64url')}.${sig}`;
    await expect(verifyToken(forged, SECRET, now)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(verifyToken(token, SECRET, now + 61_000)).rejects.toMatchObject({
      code: 'unauthorized',
      data: { expired: true },
    });
    await expect(verifyToken('ta1.???.!!!', SECRET, now)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(() => peekToken('nope')).toThrow(UnauthorizedError);
  });

  it('compares secrets in constant time, exactly', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', 'a')).toBe(false);
  });
});
