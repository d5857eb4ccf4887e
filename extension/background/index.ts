/**
 * Background service worker: hosts what every tab shares and answers the typed protocol.
 * `main(deps)` is exported so tests can start it against stand-ins.
 */
import { listen, type Handlers } from '../messaging.ts';

export interface BackgroundDeps {
  runtime: typeof chrome.runtime;
  now: () => number;
}

export function main(deps: BackgroundDeps): () => void {
  const startedAt = deps.now();
  const version = deps.runtime.getManifest().version;
  const handlers: Handlers = {
    ping: async () => ({ pong: true, startedAt, version }),
  };
  return listen(handlers, deps.runtime);
}

main({ runtime: chrome.runtime, now: () => Date.now() });
