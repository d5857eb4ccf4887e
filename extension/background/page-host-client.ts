/**
 * Firefox: the engine host lives in the event page itself (extension/shared/page-bus.ts), so the
 * background reaches it over the in-page bus instead of creating an offscreen document. Same
 * interface as offscreenClient(); the host is always there while the page is.
 */
import { offscreenChannel } from '../shared/offscreen-protocol.ts';
import { pageBus } from '../shared/page-bus.ts';
import type { OffscreenClient } from './offscreen-client.ts';

export function pageHostClient(): OffscreenClient {
  const runtime = pageBus();
  return {
    exists: async () => true,
    request: (name, payload) => offscreenChannel.request(name, payload, runtime),
  };
}
