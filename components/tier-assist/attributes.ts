/**
 * <tier-assist>'s attributes, declared once: `ATTRIBUTES` drives lit's `properties` (`litProperties`), the
 * validation of each value (`parseAttribute`) and how a value becomes a setting (`applyAttribute`).
 * Validation uses zod/mini (~5 KB gz) because this runs in the first load; the schemas mirror src/config
 * (TierSchema, PrivacyPolicySchema, QualitySchema). Errors are ConfigError with `data.field` = the
 * attribute's name.
 */
import type { PropertyDeclarations } from 'lit';
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

/**
 * Every attribute: the property it reflects into, and for validated ones the schema of its value. `setting`
 * says what the parsed value does: `cleared` settings go back to undefined when the attribute is removed or
 * empty, `kept` ones keep their last valid value; attributes without `setting` are validated, then used as
 * they are by the view (`placeholder`). A `boolean` attribute is present or absent.
 */
export const ATTRIBUTES = {
  gateway: { property: 'gateway', setting: 'cleared', schema: urlOrPath('gateway') },
  token: {
    property: 'token',
    setting: 'cleared',
    schema: z.string().check(z.minLength(8, 'token looks too short to be a minted token'), z.maxLength(4096)),
  },
  'token-endpoint': {
    property: 'tokenEndpoint',
    setting: 'cleared',
    schema: urlOrPath('token-endpoint'),
  },
  model: {
    property: 'model',
    setting: 'cleared',
    schema: z.string().check(z.minLength(1), z.maxLength(2048)),
  },
  quality: {
    property: 'quality',
    setting: 'kept',
    schema: z.pipe(
      z
        .string()
        .check(z.regex(/^\s*(?:0(?:\.\d+)?|1(?:\.0+)?|\.\d+)\s*$/, 'quality must be a number from 0 to 1')),
      z.transform(Number),
    ),
  },
  privacy: {
    property: 'privacy',
    setting: 'kept',
    schema: z.enum(['allow', 'redact', 'local-only'], 'privacy must be one of allow, redact, local-only'),
  },
  tiers: {
    property: 'tiers',
    setting: 'kept',
    schema: z.pipe(
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
  },
  'system-prompt': {
    property: 'systemPrompt',
    setting: 'cleared',
    schema: z.string().check(z.maxLength(8000, 'system-prompt must be at most 8,000 characters')),
  },
  placeholder: {
    property: 'placeholder',
    schema: z.string().check(z.maxLength(200, 'placeholder must be at most 200 characters')),
  },
  heading: { property: 'heading' },
  'conversation-key': { property: 'conversationKey' },
  'allow-remote-images': { property: 'allowRemoteImages', boolean: true },
  learning: {
    property: 'learning',
    setting: 'kept',
    schema: z.enum(['on', 'off'], 'learning must be on or off'),
  },
  feedback: { property: 'feedback', boolean: true },
} as const;

type Table = typeof ATTRIBUTES;
type Schema = z.ZodMiniType<unknown, string>;

/** The attributes whose values are validated (a bad value is shown as an error and fired as `tier-error`). */
export type AttributeName = {
  [A in keyof Table]: Table[A] extends { schema: Schema } ? A : never;
}[keyof Table];
export type AttributeValue<A extends AttributeName> = Table[A] extends { schema: infer S extends Schema }
  ? z.infer<S>
  : never;
type SettingName = { [A in keyof Table]: Table[A] extends { setting: string } ? A : never }[keyof Table];

/** The parsed settings the attributes drive (what `el.settings` returns). */
export type Settings = {
  -readonly [A in SettingName as Table[A]['property']]: Table[A] extends { setting: 'cleared' }
    ? AttributeValue<A> | undefined
    : AttributeValue<A>;
};

export const DEFAULT_SETTINGS: Readonly<Settings> = {
  gateway: undefined,
  token: undefined,
  tokenEndpoint: undefined,
  model: undefined,
  quality: 0.5,
  privacy: 'redact',
  tiers: ['local', 'mid', 'frontier'],
  systemPrompt: undefined,
  learning: 'on',
};

export const VALIDATED = (Object.keys(ATTRIBUTES) as (keyof Table)[]).filter(
  (name): name is AttributeName => 'schema' in ATTRIBUTES[name],
);

/** lit's `static properties` for every attribute in the table. */
export function litProperties(): PropertyDeclarations {
  return Object.fromEntries(
    Object.entries(ATTRIBUTES).map(([attribute, spec]) => [
      spec.property,
      { type: 'boolean' in spec ? Boolean : String, attribute },
    ]),
  );
}

/** Parse one attribute's raw value; throws ConfigError naming the attribute. */
export function parseAttribute<A extends AttributeName>(name: A, raw: string): AttributeValue<A> {
  const result = (ATTRIBUTES[name].schema as Schema).safeParse(raw);
  if (result.success) return result.data as AttributeValue<A>;
  const detail = result.error.issues[0]?.message ?? 'invalid value';
  throw new ConfigError(
    `Invalid attribute "${name}" on <tier-assist>: ${detail} (got "${raw.slice(0, 80)}").`,
    {
      data: { field: name, attribute: name, value: raw.slice(0, 200) },
    },
  );
}

/**
 * The settings after one attribute changed to `raw` (undefined or empty: removed). Returns a new object,
 * or `settings` itself when the attribute drives no setting; throws ConfigError for an invalid value,
 * and the previous settings stay in force.
 */
export function applyAttribute(
  settings: Readonly<Settings>,
  name: AttributeName,
  raw: string | undefined,
): Readonly<Settings> {
  const spec: { property: string; setting?: 'cleared' | 'kept' } = ATTRIBUTES[name];
  if (raw === undefined || raw === '')
    return spec.setting === 'cleared' ? { ...settings, [spec.property]: undefined } : settings;
  const value = parseAttribute(name, raw);
  return spec.setting ? { ...settings, [spec.property]: value } : settings;
}
