/**
 * The gateway driven by the clients server-side code actually uses: the official `openai` SDK and the
 * Vercel AI SDK's OpenAI-compatible provider, against a gateway process (as `npm start` runs it) in front
 * of the provider stand-in, with a site token. `model` names a tier or "auto"; with a small tier
 * configured, auto keeps a simple request on small, sends a complex one to frontier and escalates a small
 * answer the router's verifier rejects. Errors arrive as each SDK's typed errors (retries off), and the
 * usage each SDK reports is the usage record of that request.
 */
import { createOpenAICompatible, type MetadataExtractor } from '@ai-sdk/openai-compatible';
import { APICallError, generateText, streamText } from 'ai';
import OpenAI, { APIError, AuthenticationError, BadRequestError, RateLimitError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoRouteSchema } from '../../src/server/auto-record.ts';
import type { UsageRecord } from '../../src/server/usage.ts';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';

const ORIGIN = 'https://support.example';
const SECRET = 'sdk-site-secret-0123456789';
const TIGHT_SECRET = 'sdk-tight-secret-0123456789';
const SIMPLE = 'What is the capital of France?';
const UNKNOWN = 'What is the capital of Burkina Faso?';
const COMPLEX =
  'Design a distributed consensus protocol tolerant to Byzantine faults for a 7-node cluster; prove safety and liveness and compare with PBFT and HotStuff in message complexity.';
const SMALL_MODEL = 'llama3.2-1b-instruct';

let up: Upstream;
let gw: RunningGateway;
let token: string;

const lastUser = (body: Record<string, unknown>): string =>
  ((body.messages as { role: string; content: string }[] | undefined) ?? []).at(-1)?.content ?? '';

beforeAll(async () => {
  up = await startUpstream({
    reply: 'alpha beta gamma delta epsilon zeta eta theta',
    // The small model knows France and not Burkina Faso: the verifier must catch the second answer.
    replyFor: (body) =>
      body.model !== SMALL_MODEL
        ? undefined
        : lastUser(body).includes('Burkina')
          ? "I'm not sure, I don't know."
          : 'The capital of France is Paris.',
  });
  gw = await startGateway({
    upstream: up,
    providers: 'openai',
    staticFiles: false,
    config: {
      tiers: {
        small: {
          baseUrl: up.openaiBaseUrl,
          model: SMALL_MODEL,
          maxTokens: 256,
          price: { input: 0.1, output: 0.2 },
        },
        mid: { provider: 'openai', model: 'gpt-5-mini', baseUrl: up.openaiBaseUrl, apiKey: 'sk-stand-in' },
        frontier: { provider: 'openai', model: 'gpt-5', baseUrl: up.openaiBaseUrl, apiKey: 'sk-stand-in' },
      },
      sites: [
        { id: 'support', origins: [ORIGIN], secret: SECRET },
        { id: 'tight', origins: [ORIGIN], secret: TIGHT_SECRET, limits: { requestsPerMinute: 1 } },
      ],
      limits: { bodyBytes: 64 * 1024 },
      reliability: { firstByteTimeoutMs: 5000, retries: 0 },
    },
  });
  token = await gw.mintToken('support', SECRET, ORIGIN, 'bot-1');
});
afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

const openai = (apiKey = token) => new OpenAI({ apiKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });

/** The AI SDK provider; `tier_assist` (the gateway's decision and cost) surfaces as provider metadata. */
const metadataExtractor: MetadataExtractor = {
  extractMetadata: async ({ parsedBody }) => {
    const meta = (parsedBody as { tier_assist?: Record<string, never> }).tier_assist;
    return meta ? { tierAssist: meta } : undefined;
  },
  createStreamExtractor: () => {
    let meta: Record<string, never> | undefined;
    return {
      processChunk: (chunk) => {
        const m = (chunk as { tier_assist?: Record<string, never> }).tier_assist;
        if (m) meta = m;
      },
      buildMetadata: () => (meta ? { tierAssist: meta } : undefined),
    };
  },
};
const aiProvider = (apiKey = token) =>
  createOpenAICompatible({
    name: 'tier-assist',
    baseURL: `${gw.url}/v1`,
    apiKey,
    includeUsage: true,
    metadataExtractor,
  });

/** The usage record of a response, by the id the gateway gave it (`chatcmpl-<record id>`). */
async function recordOf(responseId: string): Promise<UsageRecord> {
  const id = responseId.replace(/^chatcmpl-/, '');
  await expect.poll(() => gw.readUsage().some((r) => r.id === id), { timeout: 10_000 }).toBe(true);
  return gw.readUsage().find((r) => r.id === id)!;
}

interface TierAssistOut {
  tier: string;
  model: string;
  costUsd: number;
  route?: unknown;
}
const tierAssistOf = (value: unknown): TierAssistOut => (value as { tier_assist: TierAssistOut }).tier_assist;

describe('the openai SDK against the gateway', () => {
  it('model "auto", not streaming: a simple request is answered by small, its decision in body and headers', async () => {
    const { data, response } = await openai()
      .chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: SIMPLE }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('The capital of France is Paris.');
    expect(data.model).toBe(SMALL_MODEL);
    expect(response.headers.get('x-tier-assist-tier')).toBe('small');
    expect(response.headers.get('x-tier-assist-escalated')).toBe('false');
    const meta = tierAssistOf(data);
    expect(meta.tier).toBe('small');
    expect(AutoRouteSchema.parse(meta.route)).toMatchObject({
      tier: 'small',
      routerTier: 'local',
      verdict: { accept: true },
    });
    const record = await recordOf(data.id);
    expect(data.usage).toEqual({
      prompt_tokens: record.inputTokens,
      completion_tokens: record.outputTokens,
      total_tokens: record.inputTokens + record.outputTokens,
    });
    expect(record).toMatchObject({ site: 'support', user: 'bot-1', tier: 'small', model: SMALL_MODEL });
    expect(record.route).toMatchObject({ tier: 'small', verdict: { accept: true } });
    expect(record.costNanos).toBe(record.inputTokens * 100 + record.outputTokens * 200);
  });

  it('model "auto", streaming with include_usage: a complex request goes to frontier; the final chunk has usage', async () => {
    const stream = await openai().chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: COMPLEX }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let last: OpenAI.Chat.Completions.ChatCompletionChunk | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      last = chunk;
    }
    expect(text).toBe('alpha beta gamma delta epsilon zeta eta theta');
    expect(last?.choices).toEqual([]);
    const meta = tierAssistOf(last);
    expect(meta).toMatchObject({ tier: 'frontier', model: 'gpt-5' });
    expect(AutoRouteSchema.parse(meta.route)).toMatchObject({ tier: 'frontier', routerTier: 'frontier' });
    const record = await recordOf(last!.id);
    expect(last?.usage).toMatchObject({
      prompt_tokens: record.inputTokens,
      completion_tokens: record.outputTokens,
      total_tokens: record.inputTokens + record.outputTokens,
    });
    expect(record).toMatchObject({ tier: 'frontier', stream: true, route: { tier: 'frontier' } });
  });

  it('model "auto", streaming: the small answer, once accepted, arrives as chunks with usage last', async () => {
    const { data: stream, response } = await openai()
      .chat.completions.create({
        model: 'auto',
        messages: [{ role: 'user', content: SIMPLE }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    let text = '';
    let last: OpenAI.Chat.Completions.ChatCompletionChunk | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      last = chunk;
    }
    expect(text).toBe('The capital of France is Paris.');
    expect(tierAssistOf(last)).toMatchObject({ tier: 'small', model: SMALL_MODEL });
    const record = await recordOf(last!.id);
    expect(last?.usage).toMatchObject({
      prompt_tokens: record.inputTokens,
      completion_tokens: record.outputTokens,
    });
    expect(record).toMatchObject({ tier: 'small', stream: true, route: { verdict: { accept: true } } });
  });

  it('a small answer the verifier rejects escalates to mid, and the response says so', async () => {
    const before = up.requests.length;
    const stream = await openai().chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: UNKNOWN }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let last: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      last = chunk;
    }
    expect(text).toBe('alpha beta gamma delta epsilon zeta eta theta');
    expect(up.requests.slice(before).map((r) => r.body.model)).toEqual([SMALL_MODEL, 'gpt-5-mini']);
    const route = AutoRouteSchema.parse(tierAssistOf(last).route);
    expect(route).toMatchObject({
      tier: 'small',
      verdict: { accept: false },
      escalated: { from: 'small', to: 'mid' },
    });
    expect(tierAssistOf(last).tier).toBe('mid');
    expect(route.verdict?.reason).toContain('does not know');
    const answer = await recordOf((last as { id: string }).id);
    expect(answer).toMatchObject({ tier: 'mid', route: { escalated: { from: 'small', to: 'mid' } } });
    const small = gw.readUsage().find((r) => r.tier === 'small' && r.route?.verdict?.accept === false);
    expect(small).toMatchObject({ model: SMALL_MODEL, outcome: 'ok' });
  });

  it('models.list() names the values model takes', async () => {
    const ids: string[] = [];
    for await (const model of openai().models.list()) ids.push(model.id);
    expect(ids).toEqual(['auto', 'small', 'mid', 'frontier']);
  });

  it('model as a tier answers from that tier', async () => {
    const data = await openai().chat.completions.create({
      model: 'mid',
      messages: [{ role: 'user', content: SIMPLE }],
    });
    expect(data.model).toBe('gpt-5-mini');
    expect(tierAssistOf(data)).toMatchObject({ tier: 'mid' });
  });

  it('400, 401 and 413 arrive as the SDK typed errors with our code and message', async () => {
    const bad = await openai()
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect((bad as BadRequestError).code).toBe('invalid_input');
    expect((bad as BadRequestError).param).toBe('model');
    expect((bad as BadRequestError).message).toContain('"auto"');

    const unauth = await openai('not-a-token-of-this-gateway')
      .chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(unauth).toBeInstanceOf(AuthenticationError);
    expect((unauth as AuthenticationError).code).toBe('unauthorized');

    const big = await openai()
      .chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'x'.repeat(100_000) }] })
      .catch((e: unknown) => e);
    expect(big).toBeInstanceOf(APIError);
    expect((big as APIError).status).toBe(413);
    expect((big as APIError).code).toBe('payload_too_large');
  });

  it('429 arrives as RateLimitError with retry-after readable from its headers', async () => {
    const tight = await gw.mintToken('tight', TIGHT_SECRET, ORIGIN);
    const client = openai(tight);
    await client.chat.completions.create({ model: 'mid', messages: [{ role: 'user', content: SIMPLE }] });
    const limited = await client.chat.completions
      .create({ model: 'mid', messages: [{ role: 'user', content: SIMPLE }] })
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitError);
    const retryAfter = Number((limited as RateLimitError).headers?.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    // A sliding one-minute window: room comes back within two windows at most (stores/sliding-window.ts).
    expect(retryAfter).toBeLessThanOrEqual(120);
    expect((limited as RateLimitError).code).toBe('rate_limited');
  });
});

describe('the Vercel AI SDK (@ai-sdk/openai-compatible) against the gateway', () => {
  it('generateText with model "auto": answered by small, usage and decision match the usage log', async () => {
    const result = await generateText({ model: aiProvider()('auto'), prompt: SIMPLE, maxRetries: 0 });
    expect(result.text).toBe('The capital of France is Paris.');
    expect(result.response.headers?.['x-tier-assist-tier']).toBe('small');
    const meta = result.providerMetadata?.tierAssist as TierAssistOut | undefined;
    expect(meta?.tier).toBe('small');
    expect(AutoRouteSchema.parse(meta?.route)).toMatchObject({ verdict: { accept: true } });
    const record = await recordOf(result.response.id);
    expect(result.usage.inputTokens).toBe(record.inputTokens);
    expect(result.usage.outputTokens).toBe(record.outputTokens);
    expect(result.usage.totalTokens).toBe(record.inputTokens + record.outputTokens);
  });

  it('streamText with model "auto" on a complex request: frontier, streamed, usage from the final chunk', async () => {
    const result = streamText({ model: aiProvider()('auto'), prompt: COMPLEX, maxRetries: 0 });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe('alpha beta gamma delta epsilon zeta eta theta');
    const meta = (await result.providerMetadata)?.tierAssist as TierAssistOut | undefined;
    expect(meta).toMatchObject({ tier: 'frontier', model: 'gpt-5' });
    const usage = await result.usage;
    const record = await recordOf((await result.response).id);
    expect(usage.inputTokens).toBe(record.inputTokens);
    expect(usage.outputTokens).toBe(record.outputTokens);
    expect(record).toMatchObject({ tier: 'frontier', stream: true });
  });

  it('streamText with model as a tier', async () => {
    const result = streamText({ model: aiProvider()('frontier'), prompt: SIMPLE, maxRetries: 0 });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe('alpha beta gamma delta epsilon zeta eta theta');
    expect((await result.providerMetadata)?.tierAssist).toMatchObject({ tier: 'frontier' });
  });

  it('400, 401, 413 and 429 arrive as APICallError with the status, our message and retry-after', async () => {
    const failure = async (apiKey: string, model: string, prompt: string): Promise<APICallError> => {
      const error = await generateText({ model: aiProvider(apiKey)(model), prompt, maxRetries: 0 }).catch(
        (e: unknown) => e,
      );
      expect(APICallError.isInstance(error)).toBe(true);
      return error as APICallError;
    };
    const bad = await failure(token, 'gpt-4o', 'x');
    expect(bad.statusCode).toBe(400);
    expect(bad.message).toContain('does not serve the model "gpt-4o"');
    expect((await failure('not-a-token-of-this-gateway', 'auto', 'x')).statusCode).toBe(401);
    expect((await failure(token, 'auto', 'x'.repeat(100_000))).statusCode).toBe(413);

    const tight = await gw.mintToken('tight', TIGHT_SECRET, ORIGIN, 'ai-sdk');
    // The site's one request a minute may already be used by the openai SDK's test; use it up either way.
    await generateText({ model: aiProvider(tight)('mid'), prompt: SIMPLE, maxRetries: 0 }).catch(
      () => undefined,
    );
    const limited = await failure(tight, 'mid', SIMPLE);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.responseHeaders?.['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
