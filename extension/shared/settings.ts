/**
 * The extension's settings: one zod schema, stored in `chrome.storage.local` under `settings` with a
 * `version`, upgraded one step per version by {@link migrate}. Everything a person can set in the
 * options page lives here; every read parses (storage is a trust boundary) and every write
 * validates first, so an invalid value leaves the stored settings as they were.
 */
import { z } from 'zod';
import { HttpUrlSchema, PrivacyPolicySchema, QualitySchema, parse } from '../../src/config/index.ts';

export const SETTINGS_VERSION = 4;
export const SETTINGS_KEY = 'settings';

/** A gateway URL: empty (no gateway, everything stays on the device) or an absolute http(s) URL. */
const GatewayUrlSchema = z.union([z.literal(''), HttpUrlSchema]);

/** A site a person switched off: its origin, e.g. `https://mail.example.com`. */
const OriginSchema = z
  .string()
  .trim()
  .refine((value) => {
    try {
      return new URL(value).origin === value;
    } catch {
      return false;
    }
  }, 'must be an origin like https://example.com');

export const SettingsSchema = z.object({
  version: z.literal(SETTINGS_VERSION),
  gateway: z.object({
    url: GatewayUrlSchema,
    /** Bearer token the gateway expects; never sent anywhere else. */
    token: z.string().max(4096),
  }),
  model: z.object({
    /**
     * A catalog model id, or {@link AUTO_MODEL_ID}: the model this device runs fastest enough for ghost
     * text, chosen where the probe runs (the offscreen engine host, the options page) by
     * chooseGhostTextModel (src/engines/defaults.ts).
     */
    id: z.string().min(1).max(200),
    /** A self-hosted GGUF URL (wasm engine); overrides `id` when set. */
    customUrl: z.union([
      z.literal(''),
      HttpUrlSchema.refine((u) => /\.gguf($|\?)/i.test(u), 'must end in .gguf'),
    ]),
    /**
     * The person agreed to download the model (options page checkbox or the popup's "Load model
     * now"). Until then nothing is downloaded: typing in a field never starts an 800 MB download.
     */
    downloadAllowed: z.boolean(),
  }),
  /** 0 = cheapest acceptable answer, 1 = always the best tier. */
  quality: QualitySchema,
  privacy: PrivacyPolicySchema,
  autocomplete: z.object({
    enabled: z.boolean(),
    debounceMs: z.number().int().min(50).max(2000),
  }),
  disabledSites: z.array(OriginSchema).max(1000),
});
export type Settings = z.infer<typeof SettingsSchema>;

/** What a write may change: any subset of the sections (each section replaced whole after a merge). */
export const SettingsPatchSchema = z
  .object({
    gateway: SettingsSchema.shape.gateway.partial(),
    model: SettingsSchema.shape.model.partial(),
    quality: QualitySchema,
    privacy: PrivacyPolicySchema,
    autocomplete: SettingsSchema.shape.autocomplete.partial(),
    disabledSites: SettingsSchema.shape.disabledSites,
  })
  .partial();

/** "Choose for this device" (the default since settings version 4). */
export const AUTO_MODEL_ID = 'auto';
export const DEFAULT_MODEL_ID = AUTO_MODEL_ID;
/**
 * The default of settings versions 1-3: Llama 3.2 1B as GGUF on the CPU, about 41 s a suggestion on one
 * thread. Version 4 moves those who never chose another model to {@link AUTO_MODEL_ID}.
 */
export const LEGACY_DEFAULT_MODEL_ID = 'Llama-3.2-1B-Instruct-Q4_K_M.gguf';

export function defaultSettings(): Settings {
  return {
    version: SETTINGS_VERSION,
    gateway: { url: '', token: '' },
    model: { id: DEFAULT_MODEL_ID, customUrl: '', downloadAllowed: false },
    quality: 0.5,
    privacy: 'redact',
    autocomplete: { enabled: true, debounceMs: 250 },
    disabledSites: [],
  };
}

/** Version 1 (0.0.x previews): flat keys. Kept so stored previews upgrade instead of resetting. */
const SettingsV1Schema = z
  .object({
    version: z.literal(1),
    gatewayUrl: z.string().optional(),
    gatewayToken: z.string().optional(),
    debounce: z.number().optional(),
    disabledHosts: z.array(z.string()).optional(),
  })
  .loose();

type Step = (input: unknown) => unknown;

/** Version 2: no download consent yet (a model was downloaded on first use). */
const SettingsV2Schema = z
  .object({
    version: z.literal(2),
    model: z.object({ id: z.string(), customUrl: z.string() }).loose(),
  })
  .loose();

/** Version 3: the model defaulted to the 1B GGUF on every device. */
const SettingsV3Schema = z
  .object({
    version: z.literal(3),
    model: z.object({ id: z.string(), customUrl: z.string() }).loose(),
  })
  .loose();

/** One step per version: STEPS[n] turns version n into version n + 1. */
const STEPS: Record<number, Step> = {
  1: (input) => {
    const v1 = SettingsV1Schema.parse(input);
    return {
      version: 2,
      gateway: { url: v1.gatewayUrl ?? '', token: v1.gatewayToken ?? '' },
      model: { id: LEGACY_DEFAULT_MODEL_ID, customUrl: '' },
      quality: 0.5,
      privacy: 'redact',
      autocomplete: { enabled: true, debounceMs: v1.debounce ?? 250 },
      disabledSites: (v1.disabledHosts ?? []).map((host) => `https://${host}`),
    };
  },
  // A version-2 user who set their own model URL chose to download it; the default model was not chosen.
  2: (input) => {
    const v2 = SettingsV2Schema.parse(input);
    return { ...v2, version: 3, model: { ...v2.model, downloadAllowed: v2.model.customUrl !== '' } };
  },
  // Still on the old default (and no self-hosted URL): never chose, so the device chooses now. Any other
  // model id is an explicit choice and stays. (Someone who picked the 1B GGUF by hand looks the same as
  // the default in version 3; they can pick it again in the options.)
  3: (input) => {
    const v3 = SettingsV3Schema.parse(input);
    const untouched = v3.model.id === LEGACY_DEFAULT_MODEL_ID && v3.model.customUrl === '';
    return { ...v3, version: 4, model: untouched ? { ...v3.model, id: AUTO_MODEL_ID } : v3.model };
  },
};

/**
 * Stored value -> current settings. Nothing stored gives the defaults; an older version is upgraded
 * step by step; a value that no longer parses throws ConfigError (the caller keeps the defaults).
 */
export function migrate(stored: unknown): Settings {
  if (stored === undefined || stored === null) return defaultSettings();
  let value: unknown = stored;
  let version = z.object({ version: z.number().int() }).safeParse(value).data?.version ?? 1;
  while (version < SETTINGS_VERSION) {
    const step = STEPS[version];
    if (!step) break;
    value = step(value);
    version += 1;
  }
  return parse(SettingsSchema, value, 'stored settings');
}

/** Applies a patch to settings and validates the result (throws ConfigError naming the field). */
export function applyPatch(current: Settings, patchInput: unknown): Settings {
  const patch = parse(SettingsPatchSchema, patchInput, 'settings');
  const next = {
    ...current,
    ...patch,
    gateway: { ...current.gateway, ...patch.gateway },
    model: { ...current.model, ...patch.model },
    autocomplete: { ...current.autocomplete, ...patch.autocomplete },
  };
  return parse(SettingsSchema, next, 'settings');
}

/** True when autocomplete may run on a page of `origin`. */
export function siteEnabled(settings: Settings, origin: string): boolean {
  return settings.autocomplete.enabled && !settings.disabledSites.includes(origin);
}
