/**
 * Content script (every http(s) page and frame): mounts the ghost-text controller from
 * src/autocomplete and connects it to the background. Suggestions come only from the on-device
 * engine. The UI lives in the controller's own shadow root and is torn down when the extension
 * context goes away (extension reloaded or removed). `main(deps)` is exported for tests.
 */
import { GhostTextController, type GhostTiming } from '../../src/autocomplete/index.ts';
import { AbortError } from '../../src/errors.ts';
import { request } from '../messaging.ts';
import { migrate, SETTINGS_KEY, siteEnabled, type Settings } from '../settings.ts';

export interface ContentDeps {
  document: Document;
  runtime: typeof chrome.runtime;
  storage: typeof chrome.storage;
}

let seq = 0;

export async function main(deps: ContentDeps): Promise<GhostTextController | undefined> {
  const doc = deps.document;
  const root = doc.documentElement;
  root.dataset.tierAssist = 'attached';
  const origin = doc.defaultView?.location.origin ?? '';
  let settings: Settings;
  try {
    settings = await request('settings.get', {}, deps.runtime);
    root.dataset.tierAssist = 'connected';
  } catch {
    return undefined; // extension reloading; the next page load retries
  }
  const alive = () => {
    try {
      return Boolean(deps.runtime.id);
    } catch {
      return false;
    }
  };
  const controller = new GhostTextController(doc, {
    debounceMs: settings.autocomplete.debounceMs,
    frames: true,
    enabled: () => siteEnabled(settings, origin),
    alive,
    onShown: (timing: GhostTiming) => {
      root.dataset.tierAssistTiming = JSON.stringify(timing);
    },
    suggest: async ({ before, after }, signal) => {
      const id = `s${Date.now().toString(36)}-${(++seq).toString(36)}`;
      const onAbort = () => void request('cancel', { id }, deps.runtime).catch(() => undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const out = await request('suggest', { id, before, after }, deps.runtime);
        if (signal.aborted) throw new AbortError();
        return { text: out.text, engineMs: out.engineMs };
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
  }).attach();

  deps.storage.onChanged.addListener((changes, area) => {
    if (area !== 'local' || !(SETTINGS_KEY in changes)) return;
    try {
      settings = migrate(changes[SETTINGS_KEY]!.newValue);
      controller.debounceMs = settings.autocomplete.debounceMs;
    } catch {
      // keep the previous settings
    }
  });

  // The keyboard commands ask for the selected text (page selection, or inside a focused field).
  deps.runtime.onMessage.addListener((message: unknown, _sender, sendResponse) => {
    if (typeof message !== 'object' || message === null || !('tierAssistTab' in message)) return false;
    if (doc.defaultView !== doc.defaultView?.top) return false; // the top frame answers
    const active = doc.activeElement;
    let text = doc.getSelection()?.toString() ?? '';
    if (!text && (active instanceof HTMLTextAreaElement || active instanceof HTMLInputElement))
      text = active.value.slice(active.selectionStart ?? 0, active.selectionEnd ?? 0);
    sendResponse({ text });
    return false;
  });
  return controller;
}

void main({ document, runtime: chrome.runtime, storage: chrome.storage });
