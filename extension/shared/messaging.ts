/**
 * The one message protocol between extension contexts (content script, popup, options, side panel
 * -> background). Every request name is declared once in {@link PROTOCOL} with a zod schema for its
 * payload; its result type is in {@link Results}. Unknown or malformed messages are rejected loudly
 * with InvalidInputError; errors travel as `{name, code, message, data}` and are rebuilt into their
 * classes on the other side (see channel.ts).
 */
import { z } from 'zod';
import type { Tier } from '../../src/config/index.ts';
import type { EnginePlacement, EngineSpeed, FinishReason } from '../../src/engines/types.ts';
import { InvalidInputError } from '../../src/errors.ts';
import type { TriageOutcome } from '../../src/triage/llm-triage.ts';
import { createChannel, type HandlersFor } from './channel.ts';
import { ModelDescriptorSchema } from './models.ts';
import type { Settings } from './settings.ts';

export const JOB_KINDS = ['rewrite-clearer', 'rewrite-shorter', 'rewrite-polite', 'triage'] as const;
export const JobKindSchema = z.enum(JOB_KINDS);
export type JobKind = z.infer<typeof JobKindSchema>;

const Id = z.string().min(1).max(64);

export const PROTOCOL = {
  /** Liveness check; answers with the background's start time (changes when the worker restarts). */
  ping: z.object({}),
  /**
   * Ghost text: a continuation of `before` (on-device only). `id` lets `cancel` abort it. Over a
   * port the text generated so far streams back as partial frames (a string) before the answer.
   */
  suggest: z.object({
    id: Id,
    before: z.string().max(20_000),
    after: z.string().max(20_000),
    /** Required on the direct port to the engine host (which cannot read settings); ignored by the worker. */
    model: ModelDescriptorSchema.optional(),
  }),
  cancel: z.object({ id: Id }),
  /** Engine state for the popup (loads nothing). */
  status: z.object({}),
  /** Loads the configured model now (the popup's "Load model" button; otherwise loading is lazy). */
  load: z.object({}),
  'settings.get': z.object({}),
  /** A partial settings object; validated whole before anything is stored. */
  'settings.set': z.object({ patch: z.unknown() }),
  /** Per-site switch; `origin` like https://example.com. */
  'site.get': z.object({ origin: z.string().max(2000) }),
  'site.set': z.object({ origin: z.string().max(2000), enabled: z.boolean() }),
  /** Today's requests by tier and money saved. */
  'stats.today': z.object({}),
  /** Runs a rewrite/triage job (the context menu and its keyboard command start one). */
  'job.run': z.object({ kind: JobKindSchema, text: z.string().min(1).max(20_000) }),
  /** The last job (the side panel shows it when it opens). */
  'job.latest': z.object({}),
  'cache.list': z.object({}),
  'cache.delete': z.object({ id: z.string().min(1).max(500) }),
  /**
   * One generation on the engine host, answered only on {@link ENGINE_PORT} by the offscreen document
   * (the side panel's LocalEngine adapter for `<tier-triage>`); the background rejects it. Chat when
   * `messages` is given, else raw completion of `prefix`; `jsonSchema` constrains the output.
   */
  'engine.generate': z.object({
    id: Id,
    model: ModelDescriptorSchema,
    messages: z
      .array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string().max(40_000) }))
      .min(1)
      .optional(),
    prefix: z.string().max(20_000).optional(),
    maxTokens: z.number().int().positive().max(2048),
    temperature: z.number().min(0).max(2).optional(),
    stop: z.array(z.string()).max(4).optional(),
    jsonSchema: z.record(z.string(), z.unknown()).optional(),
  }),
} as const;

export type EngineState = 'idle' | 'loading' | 'ready' | 'error';

export interface EngineStatus {
  state: EngineState;
  /** Where the engine runs: always the offscreen document (ADR 0002). */
  host: 'offscreen';
  kind: 'wasm' | 'webllm' | undefined;
  model: { id: string; label: string; sizeBytes: number } | undefined;
  /** 0..1 while loading. */
  progress: number;
  error: string | undefined;
  /** Whether WebGPU is available in this browser (the popup shows it). */
  webgpu: boolean;
  /** CSP violations and uncaught errors seen in the engine host (should stay empty). */
  problems: string[];
  /** Generations the engine host started since it was created (every surface; absent: no host). */
  generations?: number;
  /** Of the requests it received, how many ended aborted (cancelled, or superseded by a newer suggestion). */
  aborted?: number;
  /** Where the loaded model runs, as the engine observed it (device, threads, GPU layers, why). */
  placement?: EnginePlacement | undefined;
  /** Speed this device measured on the loaded model (running medians). */
  speed?: EngineSpeed | undefined;
  /** Why this model: set when the settings say `auto` and the host chose it for this device. */
  reason?: string | undefined;
}

export interface JobResult {
  id: string;
  kind: JobKind;
  input: string;
  /**
   * `handoff`: a "Triage this ticket" job the background did not run: the side panel's
   * `<tier-triage>` triages it (once) and publishes the result as `done` or `error`.
   */
  state: 'running' | 'done' | 'error' | 'handoff';
  text: string;
  tier: Tier;
  reason: string;
  model: string;
  ms: number;
  error?: { code: string; message: string };
  /** Personal data was replaced by placeholders before the text went to the gateway. */
  redacted?: boolean;
  /** Structured triage when kind = 'triage': what `<tier-triage>` and runLlmTriage give (src/triage). */
  triage?: TriageOutcome;
}

export interface TodayStats {
  day: string;
  byTier: Record<Tier, number>;
  savedUsd: number;
  spentUsd: number;
}

export interface CacheEntry {
  id: string;
  bytes: number;
}

export interface Results {
  ping: { pong: true; startedAt: number; version: string };
  /** `backgroundMs`: time in the service worker (including the offscreen round trip); `hostMs`: in the offscreen document. */
  suggest: {
    text: string;
    engineMs: number;
    hostMs: number;
    backgroundMs: number;
    model: string;
    /** Characters of `before` the prompt used, of at most `maxPrefixChars` (the measured-speed budget). */
    prefixChars?: number;
    maxPrefixChars?: number;
    /** Prompt tokens, and how many the engine reused from the previous prompt's KV cache (when it says). */
    promptTokens?: number;
    cachedTokens?: number;
  };
  cancel: { cancelled: boolean };
  status: EngineStatus;
  load: EngineStatus;
  'settings.get': Settings;
  'settings.set': Settings;
  'site.get': { origin: string; enabled: boolean };
  'site.set': { origin: string; enabled: boolean };
  'stats.today': TodayStats;
  'job.run': JobResult;
  'job.latest': { job: JobResult | null };
  'cache.list': { entries: CacheEntry[]; usageBytes: number; quotaBytes: number };
  'cache.delete': { deleted: boolean };
  'engine.generate': {
    text: string;
    finishReason: FinishReason;
    engineMs: number;
    hostMs: number;
    model: string;
  };
}

export type RequestName = keyof typeof PROTOCOL;
export type Payload<N extends RequestName> = z.input<(typeof PROTOCOL)[N]>;
/** Requests only the engine host answers (on {@link ENGINE_PORT}), never the background. */
type EnginePortOnly = 'engine.generate';
/** What the background answers: every request except the engine host's own. */
export type Handlers = HandlersFor<Omit<typeof PROTOCOL, EnginePortOnly>, Omit<Results, EnginePortOnly>>;

const channel = createChannel<typeof PROTOCOL, Results>('tierAssist', PROTOCOL);

/** Parses an incoming envelope: the request name and its validated payload, or InvalidInputError. */
export const parseRequest = channel.parse;
/**
 * Installs the background's listener; messages without the `tierAssist` marker are left to others.
 * Engine-port-only requests sent to the background are rejected with InvalidInputError.
 */
export const listen = (handlers: Handlers, runtime?: Parameters<typeof channel.listen>[1]): (() => void) =>
  channel.listen(
    {
      ...handlers,
      'engine.generate': async () => {
        throw new InvalidInputError(
          '"engine.generate" is answered by the engine host on its port, not by the background.',
        );
      },
    },
    runtime,
  );
/** Sends a typed request to the background; returns its result or throws the rebuilt typed error. */
export const request = channel.request;
/** The same handlers over ports (the content script's hot path: suggest/cancel). */
export const listenPorts = channel.listenPorts;
export const portClient = channel.portClient;
/** Port name the offscreen engine host answers `suggest`/`cancel` on directly (ADR 0002). */
export const ENGINE_PORT = 'tierAssist:engine';
/** A ghost suggestion: at most this many tokens. */
export const SUGGEST_MAX_TOKENS = 16;
/**
 * At most this many characters before the caret travel with a suggestion request (the content
 * script cuts them with the same stable window as the prompt, so what it sends does not slide with
 * each keystroke); the engine host then picks the prompt's own, smaller window (at most
 * src/autocomplete/prefix-window.ts MAX_PREFIX_CHARS, sized from the measured prefill speed).
 */
export const SUGGEST_SEND_CHARS = 8192;
