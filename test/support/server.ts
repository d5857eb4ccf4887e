/**
 * Builders shared by the gateway's unit tests (the *.test.ts files under src/server): a gateway app on
 * the provider stand-in, request bodies, an SSE reader. Test code, so it lives in test/support, not src/.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createApp, type AppOptions } from '../../src/server/app.ts';
import { loadConfig, type GatewayConfigInput } from '../../src/server/config.ts';
import { GatewayMetrics } from '../../src/server/metrics.ts';
import { createMemoryStore } from '../../src/server/stores/memory.ts';
import { createMemoryUsageLog } from '../../src/server/usage.ts';
import { startUpstream, type Upstream, type UpstreamOptions } from './upstream.ts';
import type { RouterWeights } from '../../src/router/index.ts';
import {
  feedbackRecord,
  onlineFeatures,
  type FeedbackRecord,
  type FeedbackSignal,
} from '../../src/router/learning.ts';
import routerWeights from '../../src/router/weights.json' with { type: 'json' };

export const SECRET = 'site-secret-0123456789abcdef';
export const ORIGIN = 'https://shop.example';

/**
 * Starts one provider stand-in for the whole file (hands it to `set`), closes it after, and clears its
 * scripted faults and recorded requests before each test.
 */
export function useUpstream(options: UpstreamOptions, set: (upstream: Upstream) => void): void {
  let upstream: Upstream | undefined;
  beforeAll(async () => {
    upstream = await startUpstream(options);
    set(upstream);
  });
  afterAll(() => upstream?.close());
  beforeEach(() => {
    if (!upstream) return;
    upstream.faults.length = 0;
    upstream.requests.length = 0;
  });
}

/** A JSON POST `RequestInit` for `app.request()`. */
export const post = (body: string, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body,
});

export function testGateway(
  upstream: Upstream | undefined,
  config: GatewayConfigInput = {},
  options: Partial<AppOptions> & { providers?: 'anthropic' | 'openai' | 'mixed' } = {},
) {
  const kind = options.providers ?? 'anthropic';
  const tier = (t: 'mid' | 'frontier') => {
    const provider = kind === 'mixed' ? (t === 'mid' ? 'openai' : 'anthropic') : kind;
    return {
      provider,
      model:
        provider === 'anthropic'
          ? t === 'mid'
            ? 'claude-haiku-4-5'
            : 'claude-sonnet-4-5'
          : t === 'mid'
            ? 'gpt-5-mini'
            : 'gpt-5',
      baseUrl: provider === 'anthropic' ? upstream!.anthropicBaseUrl : upstream!.openaiBaseUrl,
      apiKey: 'sk-test-key',
      maxTokens: 256,
    } as const;
  };
  const { config: parsed, tiers } = loadConfig(
    {
      ...(upstream ? { tiers: { mid: tier('mid'), frontier: tier('frontier') } } : {}),
      reliability: {
        attemptTimeoutMs: 5000,
        firstByteTimeoutMs: 300,
        retries: 2,
        backoffBaseMs: 5,
        maxRetryDelayMs: 2000,
        fallback: true,
      },
      ...config,
    },
    {},
  );
  const usageLog = createMemoryUsageLog();
  const store = createMemoryStore();
  const metrics = new GatewayMetrics();
  const app = createApp({
    config: parsed,
    tiers,
    usageLog,
    store,
    metrics,
    log: () => undefined,
    ...options,
  });
  return { app, usageLog, store, metrics, config: parsed, tiers };
}

export function chatBody(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    tier: 'mid',
    messages: [{ role: 'user', content: 'Say hello please' }],
    stream: true,
    ...extra,
  });
}

export interface SseResult {
  events: unknown[];
  done: boolean;
  text: string;
}

export async function readSseBody(res: Response): Promise<SseResult> {
  const raw = await res.text();
  const events: unknown[] = [];
  let done = false;
  let text = '';
  for (const block of raw.split('\n\n')) {
    const line = block.split('\n').find((l) => l.startsWith('data: '));
    if (!line) continue;
    const data = line.slice(6);
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    const json = JSON.parse(data) as { choices?: { delta?: { content?: string } }[] };
    events.push(json);
    for (const c of json.choices ?? []) text += c.delta?.content ?? '';
  }
  return { events, done, text };
}

/** Wait until the usage log holds n records (writes are fire-and-forget after the response). */
export async function waitFor(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Feedback records (issue 15) for the gateway's POST /v1/feedback: `n` records about `prompts` (cycled)
 * with the given signal, as a `{records}` body object. Features come from the committed static router,
 * so the records are what a browser would send (no text).
 */
export function feedbackBatch(
  n: number,
  options: {
    signal?: FeedbackSignal;
    tier?: 'local' | 'mid' | 'frontier';
    prompts?: readonly string[];
    at?: number;
  } = {},
): { records: FeedbackRecord[] } {
  const prompts = options.prompts ?? ['Translate "good morning" into French.', 'What is 2 + 2?'];
  const features = prompts.map((p) => onlineFeatures(routerWeights as unknown as RouterWeights, p));
  return {
    records: Array.from({ length: n }, (_, i) =>
      feedbackRecord(
        options.signal ?? 'thumbs-up',
        { features: features[i % features.length]!, tier: options.tier ?? 'mid', propensity: 1 },
        { surface: 'tier-assist', task: 'chat', at: (options.at ?? 1_700_000_000_000) + i },
      ),
    ),
  };
}
