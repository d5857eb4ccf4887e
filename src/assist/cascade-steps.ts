/**
 * The cascade's steps, each usable alone: one loop that reads a text stream (local or remote, the
 * same `TextStream` type), one on-device run, one gateway run (with redaction of what leaves the
 * device and restoration of the answer), and booking in the ledger. cascade.ts composes them for
 * chat and rewrites; LLM triage (src/triage/llm-triage.ts) composes them with its own field-level
 * escalation.
 */
import type { RemoteTier, Tier } from '../config/schemas.ts';
import type { ChatMessage, GenerateOptions, JsonSchema, TextStream } from '../engines/types.ts';
import { AbortError, EngineUnavailableError, TierError } from '../errors.ts';
import type { LedgerEntry } from '../ledger/record.ts';
import { redactAll, type PrivacyAction } from '../privacy/index.ts';
import type { Attempt, CascadeEvent, CascadeInput } from './cascade-types.ts';
import type { CascadeEngine, LedgerSink, RemoteChat } from './types.ts';

/** What every step needs: the cancel signal, the request's clock and where events go. */
export interface StepContext {
  signal?: AbortSignal | undefined;
  /** ms since the request started. */
  at(): number;
  emit(event: CascadeEvent): void;
}

/** A context that reports nothing (for callers that only want the result). */
export function quietContext(signal?: AbortSignal): StepContext {
  const started = performance.now();
  return { signal, at: () => performance.now() - started, emit: () => undefined };
}

export const isAbort = (error: unknown, signal?: AbortSignal): boolean =>
  signal?.aborted === true || (error instanceof TierError && error.code === 'aborted');

/**
 * Read a stream to its end: `first-token` once, then `delta` events with the text so far (passed
 * through `restore`, so placeholders never reach the screen). Local and remote output alike.
 */
export async function readStream<R>(
  stream: TextStream<R>,
  ctx: StepContext,
  tier: Tier,
  restore: (text: string) => string = (text) => text,
): Promise<{ result: R; raw: string; ttftMs: number }> {
  let raw = '';
  let ttftMs = -1;
  for await (const delta of stream) {
    if (ttftMs < 0) {
      ttftMs = ctx.at();
      ctx.emit({ type: 'first-token', tier, atMs: ttftMs });
    }
    raw += delta;
    ctx.emit({ type: 'delta', tier, text: restore(raw), atMs: ctx.at() });
  }
  const result = await stream.result;
  return { result, raw, ttftMs: ttftMs < 0 ? ctx.at() : ttftMs };
}

export interface RunOptions {
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  jsonSchema?: JsonSchema | undefined;
}

/** One on-device run (chat or completion), streamed; an abort becomes an AbortError. */
export async function localAttempt(
  ctx: StepContext,
  engine: CascadeEngine,
  input: CascadeInput,
  options: RunOptions = {},
): Promise<Attempt> {
  const generate: GenerateOptions = {
    temperature: options.temperature ?? 0,
    logprobs: engine.capabilities.logprobs,
    ...(options.maxTokens ? { maxTokens: options.maxTokens } : {}),
    ...(options.jsonSchema ? { jsonSchema: options.jsonSchema } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
  const stream =
    input.kind === 'chat' ? engine.chat(input.messages, generate) : engine.complete(input.prefix, generate);
  const { result, raw, ttftMs } = await readStream(stream, ctx, 'local');
  if (ctx.signal?.aborted || result.finishReason === 'abort') throw new AbortError();
  const attempt: Attempt = {
    text: result.text || raw,
    tier: 'local',
    model: engine.model?.label ?? result.model,
    modelId: result.model || engine.model?.id || 'on-device',
    ttftMs,
    finishReason: result.finishReason,
    usage: result.usage,
    timings: { ttftMs: result.timings.ttftMs, totalMs: result.timings.totalMs },
    costUsd: 0,
    frontierCostUsd: undefined,
    redacted: false,
    ...(result.logprobs ? { logprobs: result.logprobs } : {}),
  };
  ctx.emit({ type: 'attempt-done', attempt, atMs: ctx.at() });
  return attempt;
}

/** What may leave the device: the messages as they go on the wire, and how to put the answer back. */
export interface Outgoing {
  messages: ChatMessage[];
  restore: (text: string) => string;
  redacted: boolean;
  placeholders: number;
}

/** Apply the privacy action to the messages: placeholders under `redact`, as they are otherwise. */
export function outgoing(messages: ChatMessage[], action: PrivacyAction['action']): Outgoing {
  if (action !== 'redact') return { messages, restore: (s) => s, redacted: false, placeholders: 0 };
  const r = redactAll(messages.map((m) => m.content));
  return {
    messages: messages.map((m, i) => ({ role: m.role, content: r.texts[i] ?? '' })),
    restore: r.restore,
    redacted: true,
    placeholders: new Set(r.spans.map((s) => s.value)).size,
  };
}

/** Messages for a remote tier: a completion prefix goes as one user turn asking to continue it. */
export function remoteMessages(input: CascadeInput): ChatMessage[] {
  if (input.kind === 'chat') return input.messages;
  return [
    { role: 'system', content: 'Continue the text the user sends. Reply with the continuation only.' },
    { role: 'user', content: input.prefix },
  ];
}

/** One run on a gateway tier, streamed; the answer and every delta are restored from placeholders. */
export async function remoteAttempt(
  ctx: StepContext,
  remote: RemoteChat | undefined,
  tier: RemoteTier,
  wire: Outgoing,
  options: RunOptions & { reason: string },
): Promise<Attempt> {
  if (!remote) {
    throw new EngineUnavailableError(
      'No gateway is configured for bigger models: set the gateway attribute on <tier-assist> (in the extension: the gateway URL in the options).',
      { data: { setting: 'gateway' } },
    );
  }
  if (wire.redacted) ctx.emit({ type: 'redacted', tier, placeholders: wire.placeholders, atMs: ctx.at() });
  const stream = remote.chat(
    {
      tier,
      messages: wire.messages,
      reason: options.reason,
      ...(options.maxTokens ? { maxTokens: options.maxTokens } : {}),
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    },
    ctx.signal ? { signal: ctx.signal } : {},
  );
  const { result, raw, ttftMs } = await readStream(stream, ctx, tier, wire.restore);
  const attempt: Attempt = {
    text: wire.restore(result.text || raw),
    // The gateway answers a browser's tier request on mid or frontier (`small` serves only "auto" and SDKs).
    tier: result.meta?.tier === 'mid' || result.meta?.tier === 'frontier' ? result.meta.tier : tier,
    model: result.model,
    modelId: result.meta?.model ?? result.model,
    ttftMs,
    finishReason: result.finishReason,
    usage: result.usage,
    timings: result.timings,
    costUsd: result.meta?.costUsd,
    frontierCostUsd: result.meta?.frontierCostUsd,
    redacted: wire.redacted,
  };
  ctx.emit({ type: 'attempt-done', attempt, atMs: ctx.at() });
  return attempt;
}

/** Book one entry; the ledger is bookkeeping, so a full or blocked store never breaks an answer. */
export function book(ctx: StepContext, ledger: LedgerSink | undefined, entry: LedgerEntry): void {
  if (!ledger) return;
  ctx.emit({ type: 'booked', entry, atMs: ctx.at() });
  try {
    ledger.record(entry).catch(() => undefined);
  } catch {
    // a synchronous failure is bookkeeping too
  }
}
