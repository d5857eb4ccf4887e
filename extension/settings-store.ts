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
