/**
 * Content script (every http(s) page and frame): mounts the ghost-text controller from
 * src/autocomplete and connects it to the background. Suggestions come only from the on-device
 * engine. The UI lives in the controller's own shadow root and is torn down when the extension
 * context goes away (extension reloaded or removed). `main(deps)` is exported for tests.
 *
 * Latency path (docs/extension.md, "Ghost text"): the text before the caret is cut with the same
 * stable window the engine host uses for the prompt (src/autocomplete/prefix-window.ts), so what
 * is sent extends what was sent before and the engine reuses its KV cache; on the direct port to
 * the engine host the generated text streams back and its first words show at once; a keystroke
 * aborts the request and tells the host to cancel the generation (`cancel`).
 */
import { GhostTextController, prefixWindow, type GhostTiming } from '../../src/autocomplete/index.ts';
import { AbortError } from '../../src/errors.ts';
import { ENGINE_PORT, portClient, request, SUGGEST_SEND_CHARS, type Results } from '../shared/messaging.ts';
import { resolveModel } from '../shared/models.ts';
import { migrate, SETTINGS_KEY, siteEnabled, type Settings } from '../shared/settings.ts';
import { deepActiveElement, fitToLine, textFollowsCaret } from './caret-line.ts';

export interface ContentDeps {
  document: Document;
  runtime: typeof chrome.runtime;
  storage: typeof chrome.storage;
}

let seq = 0;

/** A direct request that gets no answer this fast means the engine host is gone: use the worker path. */
const DIRECT_TIMEOUT_MS = 15_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('No answer from the engine host.')), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

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
  // Suggestions go over ports (point to point; sendMessage broadcasts to every extension page).
  // The first goes through the service worker, which creates the engine host; after that, straight
  // to the engine host, which keeps answering while the worker is stopped. Any failure on the direct
  // port falls back to the worker path (which recreates whatever is missing).
  const worker = portClient({ runtime: deps.runtime });
  const engine = portClient({ portName: ENGINE_PORT, runtime: deps.runtime, helloTimeoutMs: 1000 });
  let direct = false;
  let port = worker;
  const viaWorker = async (payload: { id: string; before: string; after: string }) => {
    port = worker;
    try {
      return await worker.request('suggest', payload);
    } catch (error) {
      if (error instanceof AbortError) throw error;
      // The port dropped (service worker stopped): one retry on a fresh port wakes it.
      return worker.request('suggest', payload);
    }
  };
  const suggest = async (
    payload: { id: string; before: string; after: string },
    onPartial: (textSoFar: string) => void,
  ): Promise<Results['suggest']> => {
    if (direct) {
      try {
        port = engine;
        const model = resolveModel(settings);
        const partial = (value: unknown) => {
          if (typeof value === 'string') onPartial(value);
        };
        return await withTimeout(
          engine.request('suggest', { ...payload, model }, { onPartial: partial }),
          DIRECT_TIMEOUT_MS,
        );
      } catch (error) {
        if (error instanceof AbortError) throw error;
        direct = false;
      }
    }
    const out = await viaWorker(payload);
    direct = out.model !== '';
    return out;
  };
  const controller = new GhostTextController(doc, {
    debounceMs: settings.autocomplete.debounceMs,
    frames: true,
    // Nothing is asked (and nothing downloaded) until the person allowed the model download.
    enabled: () => settings.model.downloadAllowed && siteEnabled(settings, origin),
    alive,
    onShown: (timing: GhostTiming) => {
      root.dataset.tierAssistTiming = JSON.stringify(timing);
    },
    suggest: async ({ before, after }, signal, onPartial) => {
      // Inline ghost text only where it covers nothing: with text after the caret on its line,
      // no suggestion is asked for (and none drawn).
      if (textFollowsCaret(doc, after)) {
        root.dataset.tierAssistSkipped = String(Number(root.dataset.tierAssistSkipped ?? '0') + 1);
        return { text: '' };
      }
      const id = `s${Date.now().toString(36)}-${(++seq).toString(36)}`;
      const onAbort = () => void port.request('cancel', { id }).catch(() => undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      // Text on the lines below: a ghost that wraps would cover it, so keep it to the caret's line.
      const field = deepActiveElement(doc);
      const fit = (text: string): string =>
        field?.localName === 'textarea' && /\S/.test(after)
          ? fitToLine(field as HTMLTextAreaElement, before, text.split('\n', 1)[0] ?? '')
          : text;
      // The same stable cut as the prompt's (the schema allows 20,000 characters; a field may hold more).
      const sent = prefixWindow(before, SUGGEST_SEND_CHARS).prefix;
      try {
        const out = await suggest({ id, before: sent, after }, (soFar) => {
          if (!signal.aborted) onPartial?.(fit(soFar));
        });
        if (signal.aborted) throw new AbortError();
        root.dataset.tierAssistHops = JSON.stringify({
          backgroundMs: out.backgroundMs,
          hostMs: out.hostMs,
          prefixChars: out.prefixChars,
          maxPrefixChars: out.maxPrefixChars,
          promptTokens: out.promptTokens,
          cachedTokens: out.cachedTokens,
        });
        return { text: fit(out.text), engineMs: out.engineMs };
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
