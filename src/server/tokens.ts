/**
 * Short-lived browser tokens: `ta1.<base64url payload>.<base64url HMAC-SHA256>` signed with the site's
 * secret. The payload binds the site, the audience (the page origin that may present it) and an expiry.
 * WebCrypto only, so the app stays runtime-neutral.
 */
import { z } from 'zod';
import { UnauthorizedError } from '../errors.ts';

const PREFIX = 'ta1.';

export const TokenPayloadSchema = z.object({
  /** Site id. */
  site: z.string(),
  /** Audience: the origin allowed to present the token. */
  aud: z.string(),
  /** Expiry, seconds since the epoch. */
  exp: z.number().int(),
  /** Optional end-user id chosen by the site (per-user rate limits). */
  sub: z.string().max(128).optional(),
});
export type TokenPayload = z.infer<typeof TokenPayloadSchema>;

const encoder = new TextEncoder();
/** WebCrypto's key type, named through `crypto` (Node's types declare no global `CryptoKey`). */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const keyCache = new Map<string, Promise<HmacKey>>();

function hmacKey(secret: string): Promise<HmacKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    keyCache.set(secret, key);
  }
  return key;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const binary = atob(padded);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export async function signToken(payload: TokenPayload, secret: string): Promise<string> {
  const body = toBase64Url(encoder.encode(JSON.stringify(payload)));
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), encoder.encode(body)));
  return `${PREFIX}${body}.${toBase64Url(sig)}`;
}

export function isSiteToken(token: string): boolean {
  return token.startsWith(PREFIX);
}

/** Read the payload without verifying (to find which site's secret verifies it). */
export function peekToken(token: string): TokenPayload {
  const parts = token.slice(PREFIX.length).split('.');
  if (!isSiteToken(token) || parts.length !== 2)
    throw new UnauthorizedError('The token is malformed. Mint a new one at POST /v1/tokens.');
  try {
    return TokenPayloadSchema.parse(JSON.parse(new TextDecoder().decode(fromBase64Url(parts[0]!))));
  } catch (error) {
    throw new UnauthorizedError('The token is malformed. Mint a new one at POST /v1/tokens.', {
      cause: error,
    });
  }
}

/** Verify signature and expiry; returns the payload or throws UnauthorizedError. */
export async function verifyToken(token: string, secret: string, nowMs: number): Promise<TokenPayload> {
  const payload = peekToken(token);
  const [body, sig] = token.slice(PREFIX.length).split('.') as [string, string];
  let sigBytes: Uint8Array<ArrayBuffer>;
  try {
    sigBytes = fromBase64Url(sig);
  } catch (error) {
    throw new UnauthorizedError('The token signature is malformed. Mint a new one at POST /v1/tokens.', {
      cause: error,
    });
  }
  const ok = await crypto.subtle.verify('HMAC', await hmacKey(secret), sigBytes, encoder.encode(body));
  if (!ok)
    throw new UnauthorizedError(
      'The token signature does not verify. Mint a new one at POST /v1/tokens with the site secret.',
    );
  if (payload.exp * 1000 <= nowMs)
    throw new UnauthorizedError('The token has expired. Mint a new one at POST /v1/tokens.', {
      data: { expired: true },
    });
  return payload;
}

/** Constant-time string comparison (for secrets and user tokens). */
export function safeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i % (x.length || 1)] ?? 0) ^ (y[i % (y.length || 1)] ?? 0);
  return diff === 0;
}
