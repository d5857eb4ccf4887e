/**
 * Firefox's event page only (extension/background/event-page.html loads this first): Firefox enforces
 * a base CSP on extension pages that refuses blob: workers, and wllama starts its engine Worker from a
 * blob: URL. This Worker keeps every other URL as it is; for a blob: one it starts the same code from
 * the add-on's own file (`wllama-worker.js`, written by vite.config.ts's Firefox build) and sends it
 * the run options the blob carried before any other message. See docs/extension.md.
 */
import { EngineUnavailableError } from '../../src/errors.ts';

const WORKER_FILE = 'wllama-worker.js';
const RUN_OPTIONS = /^const RUN_OPTIONS = (\{.*\});+$/m;

/** The run options wllama put at the top of its worker code (wasm URL, threads, compat). */
export function runOptionsOf(code: string): unknown {
  const match = RUN_OPTIONS.exec(code);
  if (!match?.[1])
    throw new EngineUnavailableError(
      'The on-device engine could not start: its worker code has an unexpected shape. Rebuild the add-on with the pinned @wllama/wllama.',
    );
  return JSON.parse(match[1]) as unknown;
}

export function installWllamaWorkerShim(scope: typeof globalThis, fileUrl: string): void {
  const Native = scope.Worker;
  class ExtensionFileWorker extends Native {
    #queue: [unknown, Transferable[]][] | undefined;

    constructor(url: string | URL, options?: WorkerOptions) {
      const blob = String(url).startsWith('blob:');
      super(blob ? fileUrl : url, options);
      if (!blob) return;
      // Nobody sees this page's console: an error in the worker reaches the engine host's problems.
      this.addEventListener('error', (event) =>
        scope.reportError(new EngineUnavailableError(`The engine worker failed: ${event.message}`)),
      );
      this.#queue = [];
      void fetch(String(url))
        .then((response) => response.text())
        .then((code) => {
          super.postMessage({ tierRunOptions: runOptionsOf(code) });
          for (const [message, transfer] of this.#queue ?? []) super.postMessage(message, transfer);
          this.#queue = undefined;
        })
        .catch((error: unknown) => {
          this.#queue = undefined;
          scope.reportError(error);
        });
    }

    override postMessage(message: unknown, transfer?: Transferable[] | StructuredSerializeOptions): void {
      const list = Array.isArray(transfer) ? transfer : (transfer?.transfer ?? []);
      if (this.#queue) this.#queue.push([message, list]);
      else super.postMessage(message, list);
    }
  }
  scope.Worker = ExtensionFileWorker;
}

installWllamaWorkerShim(globalThis, chrome.runtime.getURL(WORKER_FILE));
