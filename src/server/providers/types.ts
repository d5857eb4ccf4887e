/** One output shape for every upstream: text deltas, the provider's own usage counts, a finish reason. */
import type { ProviderKind, ResolvedUpstream } from '../config.ts';

export interface ProviderMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ProviderRequest {
  model: string;
  messages: ProviderMessage[];
  maxTokens: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  responseFormat?: { type: 'text' | 'json_object' | 'json_schema'; json_schema?: unknown };
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

export type ProviderEvent =
  | { type: 'delta'; text: string }
  /** Counts as the provider reports them (Anthropic sends input first and cumulative output later). */
  | { type: 'usage'; inputTokens?: number; outputTokens?: number; cachedInputTokens?: number }
  | { type: 'finish'; reason: FinishReason };

/** What a provider needs from an HTTP answer (a fetch Response or a node:http response both fit). */
export interface UpstreamResponse {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array> | null;
  text(): Promise<string>;
}

/** How providers reach their upstream: fetch by default (runtime-neutral); cli.ts passes a node:http one. */
export type Transport = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<UpstreamResponse>;

async function* readerChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

export function fetchTransport(fetchImpl: typeof fetch): Transport {
  return async (url, init) => {
    const response = await fetchImpl(url, init);
    return {
      status: response.status,
      ok: response.ok,
      headers: response.headers,
      body: response.body ? readerChunks(response.body) : null,
      text: () => response.text(),
    };
  };
}

export interface ProviderCallOptions {
  signal: AbortSignal;
  transport: Transport;
}

/** Opens the upstream call (throws ProviderHttpError on a non-2xx answer) and yields its events. */
export type ProviderStream = (
  upstream: ResolvedUpstream,
  request: ProviderRequest,
  options: ProviderCallOptions,
) => Promise<AsyncIterator<ProviderEvent>>;

/** The provider answered with an HTTP error before streaming. */
export class ProviderHttpError extends Error {
  constructor(
    readonly provider: ProviderKind,
    readonly status: number,
    readonly retryAfterMs: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ProviderHttpError';
  }
  get retryable(): boolean {
    return this.status === 429 || this.status === 408 || this.status >= 500;
  }
}

/** The provider's stream failed after it started: an `error` event, a cut connection, a missing end. */
export class ProviderStreamError extends Error {
  constructor(
    readonly provider: ProviderKind,
    readonly kind: 'error_event' | 'cut' | 'malformed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProviderStreamError';
  }
}

/** `retry-after` as milliseconds: delta-seconds or an HTTP date; also OpenAI's `retry-after-ms`. */
export function parseRetryAfter(headers: UpstreamResponse['headers'], now = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Number(ms);
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export async function httpError(
  provider: ProviderKind,
  response: UpstreamResponse,
): Promise<ProviderHttpError> {
  let detail = '';
  try {
    const text = await response.text();
    const json = JSON.parse(text) as { error?: { message?: unknown } };
    detail = typeof json.error?.message === 'string' ? json.error.message : text.slice(0, 200);
  } catch {
    // body unreadable or not JSON: the status says enough
  }
  return new ProviderHttpError(
    provider,
    response.status,
    parseRetryAfter(response.headers),
    `${provider} answered HTTP ${response.status}${detail ? `: ${detail}` : ''}`,
  );
}
