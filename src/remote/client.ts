/**
 * Browser client for the gateway (src/server): OpenAI-style `POST /v1/chat/completions` naming a tier,
 * streamed over SSE (eventsource-parser), abortable with one AbortSignal. Failures are rebuilt into the
 * typed errors of src/errors.ts from the gateway's JSON error body, so a 503 `not_configured` becomes a
 * NotConfiguredError whose `data.setting` names the setting to add.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { z } from 'zod';
import {
  GatewayErrorBodySchema,
  GatewayRequestSchema,
  TierAssistMetaSchema,
  UsageSchema,
  parse,
  type RemoteTier,
  type TierAssistMeta,
} from '../config/index.ts';
import type { ChatMessage, FinishReason, TextStream } from '../engines/types.ts';
import {
  AbortError,
  NetworkError,
  TierError,
  UnauthorizedError,
  UpstreamError,
  deserializeError,
  toTierError,
} from '../errors.ts';
import { createTextChannel } from '../engines/stream.ts';

export interface GatewayClientOptions {
  /** The gateway's base URL (absolute, or relative to the page). */
  url: string;
  /** A token minted by the site's backend, sent as `Authorization: Bearer`. */
  token?: string;
  /** A same-origin URL of the site's backend that mints tokens (`POST`, answers `{token, expiresAt?}`). */
  tokenEndpoint?: string;
  /** Which surface asks (logged by the gateway with usage). */
  surface?: string;
  fetch?: typeof fetch;
}

export interface RemoteChatRequest {
  tier: RemoteTier;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  /** The router's reason, logged with usage. */
  reason?: string;
}

export interface RemoteResult {
  text: string;
  finishReason: FinishReason;
  model: string;
  usage: { promptTokens: number; completionTokens: number };
  /** The gateway's own figures (tier, model, cost, frontier counterfactual), when it sent them. */
  meta: TierAssistMeta | undefined;
  timings: { ttftMs: number; totalMs: number };
}

const ChunkSchema = z
  .object({
    model: z.string().optional(),
    choices: z
      .array(
        z
          .object({
            delta: z.object({ content: z.string().nullish() }).loose().optional(),
            finish_reason: z.string().nullish(),
          })
          .loose(),
      )
      .optional(),
    usage: UsageSchema.nullish(),
    tier_assist: TierAssistMetaSchema.optional(),
    error: z.unknown().optional(),
  })
  .loose();

const TokenResponseSchema = z.object({
  token: z.string().min(1),
  expiresAt: z.union([z.number(), z.string()]).optional(),
  expiresIn: z.number().optional(),
});

/** Turn an error body `{error: {code, message, setting?}}` (or anything else) into a typed error. */
export function errorFromBody(status: number, body: unknown): TierError {
  const parsed = GatewayErrorBodySchema.safeParse(body);
  if (!parsed.success) {
    if (status === 401)
      return new UnauthorizedError('The gateway refused the token. Check the token or token-endpoint.');
    return new UpstreamError(`The gateway answered HTTP ${status} without an error body.`, {
      data: { status },
    });
  }
  const { code, message, setting } = parsed.data.error;
  const error = deserializeError({
    name: 'GatewayError',
    code,
    message,
    data: { status, ...(setting ? { setting } : {}) },
  });
  if (error.code === 'internal' && status >= 500) {
    return new UpstreamError(message, { data: { status, code, ...(setting ? { setting } : {}) } });
  }
  return error;
}

export class GatewayClient {
  readonly url: string;
  private readonly options: GatewayClientOptions;
  private readonly fetchImpl: typeof fetch;
  private minted: { token: string; expiresAt: number } | undefined;

  constructor(options: GatewayClientOptions) {
    this.options = options;
    this.url = options.url.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Stream a chat answer from `request.tier`. Iterate for deltas; `result` settles at the end. */
  chat(request: RemoteChatRequest, options: { signal?: AbortSignal } = {}): TextStream<RemoteResult> {
    const channel = createTextChannel<RemoteResult>();
    const signal = options.signal;
    // Settle at once on abort, whatever the network layer does with a hanging body.
    const onAbort = () => channel.fail(new AbortError());
    signal?.addEventListener('abort', onAbort, { once: true });
    this.run(request, signal, channel.push)
      .then(channel.finish, (error: unknown) =>
        channel.fail(signal?.aborted ? new AbortError(undefined, { cause: error }) : toTierError(error)),
      )
      .finally(() => signal?.removeEventListener('abort', onAbort));
    return channel.stream;
  }

  private async authorization(
    signal: AbortSignal | undefined,
    refresh: boolean,
  ): Promise<string | undefined> {
    if (this.options.token) return `Bearer ${this.options.token}`;
    if (!this.options.tokenEndpoint) return undefined;
    if (!refresh && this.minted && this.minted.expiresAt - 10_000 > Date.now())
      return `Bearer ${this.minted.token}`;
    let response: Response;
    try {
      response = await this.fetchImpl(this.options.tokenEndpoint, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { accept: 'application/json' },
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw new AbortError(undefined, { cause: error });
      throw new NetworkError(
        `Could not reach the token endpoint ${this.options.tokenEndpoint}. Check the token-endpoint attribute.`,
        { cause: error },
      );
    }
    if (!response.ok) {
      throw new UnauthorizedError(
        `The token endpoint ${this.options.tokenEndpoint} answered HTTP ${response.status}. Check that the site's backend mints tokens there.`,
        { data: { status: response.status } },
      );
    }
    const body = parse(
      TokenResponseSchema,
      await response.json().catch(() => null),
      'token endpoint response',
    );
    const expiresAt =
      typeof body.expiresAt === 'number'
        ? body.expiresAt < 1e12
          ? body.expiresAt * 1000
          : body.expiresAt
        : typeof body.expiresAt === 'string'
          ? Date.parse(body.expiresAt)
          : Date.now() + (body.expiresIn ?? 300) * 1000;
    this.minted = {
      token: body.token,
      expiresAt: Number.isFinite(expiresAt) ? expiresAt : Date.now() + 60_000,
    };
    return `Bearer ${body.token}`;
  }

  private async post(body: unknown, signal: AbortSignal | undefined, refresh = false): Promise<Response> {
    const auth = await this.authorization(signal, refresh);
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          ...(auth ? { authorization: auth } : {}),
        },
        body: JSON.stringify(body),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw new AbortError(undefined, { cause: error });
      throw new NetworkError(
        `Could not reach the gateway at ${this.url}. Check the gateway attribute and that the gateway is running.`,
        { cause: error },
      );
    }
    if (response.status === 401 && this.options.tokenEndpoint && !refresh) {
      await response.body?.cancel().catch(() => undefined);
      return this.post(body, signal, true);
    }
    return response;
  }

  private async run(
    request: RemoteChatRequest,
    signal: AbortSignal | undefined,
    push: (delta: string) => void,
  ): Promise<RemoteResult> {
    if (signal?.aborted) throw new AbortError();
    const started = performance.now();
    const body = parse(
      GatewayRequestSchema,
      {
        tier: request.tier,
        messages: request.messages,
        stream: true,
        surface: this.options.surface ?? 'component',
        ...(request.maxTokens ? { max_tokens: request.maxTokens } : {}),
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.reason ? { reason: request.reason.slice(0, 300) } : {}),
      },
      'gateway request',
    );
    const response = await this.post(body, signal);
    if (!response.ok) {
      const json: unknown = await response.json().catch(() => null);
      throw errorFromBody(response.status, json);
    }
    const type = response.headers.get('content-type') ?? '';
    if (!type.includes('text/event-stream'))
      return this.fromJson(await response.json(), request.tier, started);

    let text = '';
    let ttftMs = -1;
    let finishReason: FinishReason = 'stop';
    let model: string = request.tier;
    let usage = { promptTokens: 0, completionTokens: 0 };
    let meta: TierAssistMeta | undefined;
    let streamError: TierError | undefined;
    let ended = false;
    const onEvent = (event: EventSourceMessage) => {
      if (streamError || ended) return;
      if (event.data === '[DONE]') {
        ended = true;
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(event.data);
      } catch {
        streamError = new UpstreamError('The gateway sent a malformed stream event.');
        return;
      }
      if (event.event === 'error' || (typeof json === 'object' && json !== null && 'error' in json)) {
        streamError = errorFromBody(502, json);
        return;
      }
      const chunk = ChunkSchema.safeParse(json);
      if (!chunk.success) return;
      if (chunk.data.model) model = chunk.data.model;
      if (chunk.data.usage) {
        usage = {
          promptTokens: chunk.data.usage.prompt_tokens,
          completionTokens: chunk.data.usage.completion_tokens,
        };
      }
      if (chunk.data.tier_assist) {
        meta = chunk.data.tier_assist;
        model = meta.model;
      }
      for (const choice of chunk.data.choices ?? []) {
        const delta = choice.delta?.content;
        if (delta) {
          if (ttftMs < 0) ttftMs = performance.now() - started;
          text += delta;
          push(delta);
        }
        if (choice.finish_reason === 'length') finishReason = 'length';
      }
    };
    const parser = createParser({ onEvent });
    const reader = response.body?.getReader();
    if (!reader) throw new UpstreamError('The gateway answered without a body.');
    const decoder = new TextDecoder();
    const cancel = () => void reader.cancel().catch(() => undefined);
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
        if (streamError) throw streamError;
        if (ended) break;
      }
    } catch (error) {
      if (signal?.aborted) throw new AbortError(undefined, { cause: error });
      if (error instanceof TierError) throw error;
      throw new NetworkError('The connection to the gateway broke mid-answer. Try again.', { cause: error });
    } finally {
      signal?.removeEventListener('abort', cancel);
      cancel();
    }
    if (!ended && !meta && text === '')
      throw new UpstreamError('The gateway closed the stream before answering.');
    const totalMs = performance.now() - started;
    return {
      text,
      finishReason,
      model,
      usage,
      meta,
      timings: { ttftMs: ttftMs < 0 ? totalMs : ttftMs, totalMs },
    };
  }

  private fromJson(json: unknown, tier: RemoteTier, started: number): RemoteResult {
    const body = parse(
      z
        .object({
          model: z.string().optional(),
          choices: z
            .array(
              z
                .object({
                  message: z.object({ content: z.string().nullable() }),
                  finish_reason: z.string().nullish(),
                })
                .loose(),
            )
            .min(1),
          usage: UsageSchema.optional(),
          tier_assist: TierAssistMetaSchema.optional(),
        })
        .loose(),
      json,
      'gateway response',
    );
    const totalMs = performance.now() - started;
    const choice = body.choices[0]!;
    return {
      text: choice.message.content ?? '',
      finishReason: choice.finish_reason === 'length' ? 'length' : 'stop',
      model: body.tier_assist?.model ?? body.model ?? tier,
      usage: {
        promptTokens: body.usage?.prompt_tokens ?? 0,
        completionTokens: body.usage?.completion_tokens ?? 0,
      },
      meta: body.tier_assist,
      timings: { ttftMs: totalMs, totalMs },
    };
  }
}
