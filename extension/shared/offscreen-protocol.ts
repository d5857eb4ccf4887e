/**
 * Background -> offscreen document protocol (the engine host, ADR 0002). Separate marker from the
 * public protocol, so the background never answers these and the offscreen page never answers
 * content scripts.
 */
import { z } from 'zod';
import type { FinishReason, ModelDescriptor } from '../../src/engines/types.ts';
import { createChannel, type HandlersFor } from './channel.ts';
import { ModelDescriptorSchema } from './models.ts';
import type { CacheEntry, EngineStatus } from './messaging.ts';

const Id = z.string().min(1).max(64);

const Generate = {
  id: Id,
  model: ModelDescriptorSchema,
  maxTokens: z.number().int().positive().max(2048),
  temperature: z.number().min(0).max(2).optional(),
  stop: z.array(z.string()).max(4).optional(),
};

export const OFFSCREEN_PROTOCOL = {
  'engine.complete': z.object({ ...Generate, prefix: z.string().max(20_000) }),
  'engine.chat': z.object({
    ...Generate,
    messages: z
      .array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string().max(40_000) }))
      .min(1),
  }),
  /**
   * A ghost-text continuation of `before` (the text before the caret; the host chooses the window
   * of it that the prompt uses, see EngineHost.suggest). Over the engine port the text so far also
   * streams back as partial frames.
   */
  'engine.suggest': z.object({ id: Id, model: ModelDescriptorSchema, before: z.string().max(20_000) }),
  'engine.cancel': z.object({ id: Id }),
  'engine.status': z.object({}),
  'engine.load': z.object({ model: ModelDescriptorSchema }),
  'cache.list': z.object({}),
  'cache.delete': z.object({ id: z.string().min(1) }),
} as const;

export interface Generated {
  text: string;
  finishReason: FinishReason;
  engineMs: number;
  /** Time from the request reaching the offscreen document to its answer (queue + load + engine). */
  hostMs: number;
  model: string;
  loadMs: number;
  /** Prompt tokens, and how many of them the engine reused from its KV cache (when it says). */
  promptTokens?: number;
  cachedTokens?: number;
  /** Prompt tokens evaluated per second on this call (when the engine says). */
  prefillTokPerSec?: number;
}

/** A ghost-text answer: the generation plus the prompt window the host chose. */
export interface Suggested extends Generated {
  /** Characters of the text before the caret that the prompt used. */
  prefixChars: number;
  /** The window's maximum at the measured prefill speed (src/autocomplete/prefix-window.ts). */
  maxPrefixChars: number;
}

export interface OffscreenResults {
  'engine.complete': Generated;
  'engine.chat': Generated;
  'engine.suggest': Suggested;
  'engine.cancel': { cancelled: boolean };
  'engine.status': Omit<EngineStatus, 'webgpu'> & { webgpu: boolean };
  'engine.load': Omit<EngineStatus, 'webgpu'> & { webgpu: boolean };
  'cache.list': { entries: CacheEntry[]; usageBytes: number; quotaBytes: number };
  'cache.delete': { deleted: boolean };
}

export type OffscreenHandlers = HandlersFor<typeof OFFSCREEN_PROTOCOL, OffscreenResults>;
export type { ModelDescriptor };

export const offscreenChannel = createChannel<typeof OFFSCREEN_PROTOCOL, OffscreenResults>(
  'tierAssistOffscreen',
  OFFSCREEN_PROTOCOL,
);
