/**
 * Attribute validation for <tier-assist>. Uses zod/mini (~5 KB gz) because this runs in the first
 * load; the schemas mirror src/config (TierSchema, PrivacyPolicySchema, QualitySchema). Errors are
 * ConfigError with `data.field` = the attribute's name.
 */
import * as z from 'zod/mini';
import { ConfigError } from '../../src/errors.ts';

const TIERS = ['local', 'mid', 'frontier'] as const;

const urlOrPath = (attribute: string) =>
  z.string().check(
    z.refine((value) => {
      if (value.startsWith('/') && !value.startsWith('//')) return true;
      try {
        const url = new URL(value);
        return url.protocol === 'http:' || url.protocol === 'https:';
      } catch {
        return false;
      }
    }, `${attribute} must be an absolute http(s) URL or a path starting with /`),
  );

export const ATTRIBUTE_SCHEMAS = {
  gateway: urlOrPath('gateway'),
  'token-endpoint': urlOrPath('token-endpoint'),
  token: z.string().check(z.minLength(8, 'token looks too short to be a minted token'), z.maxLength(4096)),
  model: z.string().check(z.minLength(1), z.maxLength(2048)),
  quality: z.pipe(
    z
      .string()
      .check(z.regex(/^\s*(?:0(?:\.\d+)?|1(?:\.0+)?|\.\d+)\s*$/, 'quality must be a number from 0 to 1')),
    z.transform(Number),
  ),
  privacy: z.enum(['allow', 'redact', 'local-only'], 'privacy must be one of allow, redact, local-only'),
  tiers: z.pipe(
    z.string().check(
      z.refine((value) => {
        const parts = value.split(/[\s,]+/).filter(Boolean);
        return parts.length > 0 && parts.every((p) => (TIERS as readonly string[]).includes(p));
      }, 'tiers must list one or more of local, mid, frontier (comma or space separated)'),
    ),
    z.transform(
      (value) => [...new Set(value.split(/[\s,]+/).filter(Boolean))] as ('local' | 'mid' | 'frontier')[],
    ),
  ),
  'system-prompt': z.string().check(z.maxLength(8000, 'system-prompt must be at most 8,000 characters')),
  placeholder: z.string().check(z.maxLength(200, 'placeholder must be at most 200 characters')),
} as const;

export type AttributeName = keyof typeof ATTRIBUTE_SCHEMAS;
export type AttributeValue<A extends AttributeName> = z.infer<(typeof ATTRIBUTE_SCHEMAS)[A]>;

/** Parse one attribute's raw value; throws ConfigError naming the attribute. */
export function parseAttribute<A extends AttributeName>(name: A, raw: string): AttributeValue<A> {
  const result = ATTRIBUTE_SCHEMAS[name].safeParse(raw);
  if (result.success) return result.data as AttributeValue<A>;
  const detail = result.error.issues[0]?.message ?? 'invalid value';
  throw new ConfigError(
    `Invalid attribute "${name}" on <tier-assist>: ${detail} (got "${raw.slice(0, 80)}").`,
    {
      data: { field: name, attribute: name, value: raw.slice(0, 200) },
    },
  );
}
