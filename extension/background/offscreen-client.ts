/**
 * The background's handle on the offscreen engine host: creates the document when it is missing
 * (first request, or after Chrome closed it) and forwards typed requests to it. Safe to call after
 * the service worker restarted: `chrome.runtime.getContexts` finds a document that outlived it.
 */
import {
  offscreenChannel,
  type OFFSCREEN_PROTOCOL,
  type OffscreenResults,
} from '../shared/offscreen-protocol.ts';
import type { z } from 'zod';

export const OFFSCREEN_PATH = 'extension/offscreen/index.html';

export interface OffscreenClient {
  request<N extends keyof typeof OFFSCREEN_PROTOCOL>(
    name: N,
    payload: z.input<(typeof OFFSCREEN_PROTOCOL)[N]>,
  ): Promise<OffscreenResults[N]>;
  /** True when the document exists (without creating it). */
  exists(): Promise<boolean>;
}

export function offscreenClient(): OffscreenClient {
  let creating: Promise<void> | undefined;
  const url = chrome.runtime.getURL(OFFSCREEN_PATH);

  const exists = async (): Promise<boolean> => {
    const contexts = await chrome.runtime.getContexts({
      contextTypes: ['OFFSCREEN_DOCUMENT' as chrome.runtime.ContextType],
      documentUrls: [url],
    });
    return contexts.length > 0;
  };

  const ensure = async (): Promise<void> => {
    if (await exists()) return;
    creating ??= chrome.offscreen
      .createDocument({
        url: OFFSCREEN_PATH,
        reasons: ['WORKERS' as chrome.offscreen.Reason],
        justification: 'Runs the on-device language model (WebAssembly workers, WebGPU) shared by all tabs.',
      })
      .catch(async (error: unknown) => {
        // Another caller won the race: the document exists now.
        if (!(await exists())) throw error;
      })
      .finally(() => {
        creating = undefined;
      });
    await creating;
  };

  // Once the document answered, skip the getContexts round trip until a request finds it gone.
  let known = false;
  return {
    exists: async () => known || exists(),
    async request(name, payload) {
      if (!known) await ensure();
      try {
        const result = await offscreenChannel.request(name, payload);
        known = true;
        return result;
      } catch (error) {
        if (!known || (await exists())) throw error;
        // Chrome closed the document under us: create it again and retry once.
        known = false;
        await ensure();
        return offscreenChannel.request(name, payload);
      }
    },
  };
}
