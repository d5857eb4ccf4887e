/**
 * Firefox has no offscreen documents: its MV3 background is an event page, which has a DOM, so the
 * engine host runs there, in the same page as the background (docs/extension.md, issue 18). The two
 * keep talking over the offscreen protocol unchanged, but through this in-page bus: `runtime.sendMessage`
 * never reaches listeners in the sender's own page. Ports (tabs asking for suggestions directly) still
 * arrive on the real `chrome.runtime.onConnect`.
 */
type Listener = (
  message: unknown,
  sender: chrome.runtime.MessageSender,
  sendResponse: (response: unknown) => void,
) => boolean | undefined;

/** The slice of `chrome.runtime` the offscreen channel and the engine host's ports use. */
export type HostRuntime = typeof chrome.runtime;

/** True in Firefox's event page (the background page with a DOM), false in Chrome's service worker and offscreen document. */
export function isEventPage(): boolean {
  return (
    typeof window !== 'undefined' &&
    typeof chrome.extension?.getBackgroundPage === 'function' &&
    chrome.extension.getBackgroundPage() === window
  );
}

const listeners = new Set<Listener>();

/** Delivers a message to this page's own bus listeners; resolves with the first answer (undefined if none). */
function sendInPage(message: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    let waiting = false;
    const sender: chrome.runtime.MessageSender = { id: chrome.runtime.id, url: globalThis.location?.href };
    for (const listener of listeners) {
      if (listener(message, sender, resolve) === true) waiting = true;
    }
    if (!waiting) resolve(undefined);
  });
}

const bus = {
  onMessage: {
    addListener: (listener: Listener) => void listeners.add(listener),
    removeListener: (listener: Listener) => void listeners.delete(listener),
    hasListener: (listener: Listener) => listeners.has(listener),
  },
  sendMessage: sendInPage,
};

/** The runtime the background uses to reach an engine host in its own page. */
export function pageBus(): Pick<HostRuntime, 'onMessage' | 'sendMessage'> {
  return bus as unknown as Pick<HostRuntime, 'onMessage' | 'sendMessage'>;
}

/**
 * The runtime the engine host answers on: `chrome.runtime` in Chrome's offscreen document; in
 * Firefox's event page, the in-page bus for the background's requests and the real runtime for ports.
 */
export function engineHostRuntime(): HostRuntime {
  if (!isEventPage()) return chrome.runtime;
  return new Proxy(chrome.runtime, {
    get: (target, key) =>
      key === 'onMessage' || key === 'sendMessage' ? bus[key] : Reflect.get(target, key, target),
  });
}
