/** Reads and writes {@link Settings} in `chrome.storage.local` (parsed on every read). */
import { applyPatch, migrate, SETTINGS_KEY, type Settings } from './settings.ts';
import { defaultSettings } from './settings.ts';

type Area = Pick<chrome.storage.StorageArea, 'get' | 'set'>;

export async function loadSettings(area: Area = chrome.storage.local): Promise<Settings> {
  const stored = (await area.get(SETTINGS_KEY))[SETTINGS_KEY];
  try {
    const settings = migrate(stored);
    if ((stored as { version?: number } | undefined)?.version !== settings.version)
      await area.set({ [SETTINGS_KEY]: settings });
    return settings;
  } catch {
    // Unreadable settings (hand-edited storage): run on defaults rather than not at all.
    return defaultSettings();
  }
}

/** Validates `patch` against the current settings and stores the result; throws ConfigError and stores nothing when invalid. */
export async function saveSettings(patch: unknown, area: Area = chrome.storage.local): Promise<Settings> {
  const next = applyPatch(await loadSettings(area), patch);
  await area.set({ [SETTINGS_KEY]: next });
  return next;
}

/**
 * Settings kept in memory and refreshed when storage changes (the service worker reads them on every
 * suggestion; a storage read per keystroke pause is measurable). A restarted worker starts empty and
 * reads storage once.
 */
export function cachedSettings(storage: typeof chrome.storage = chrome.storage): {
  get: () => Promise<Settings>;
  save: (patch: unknown) => Promise<Settings>;
} {
  let cached: Promise<Settings> | undefined;
  storage.onChanged.addListener((changes, area) => {
    if (area === 'local' && SETTINGS_KEY in changes) cached = undefined;
  });
  return {
    get: () => {
      cached ??= loadSettings(storage.local).catch((error: unknown) => {
        cached = undefined;
        throw error;
      });
      return cached;
    },
    save: async (patch) => {
      const next = await saveSettings(patch, storage.local);
      cached = Promise.resolve(next);
      return next;
    },
  };
}
