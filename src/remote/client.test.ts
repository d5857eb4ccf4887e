import { describe, expect, it } from 'vitest';
import { AbortError, NetworkError, NotConfiguredError, RateLimitError, UpstreamError } from '../errors.ts';
import { GatewayClient } from './client.ts';

const enc = new TextEncoder();

function sse(events: string[], options: { hang?: boolean } = {}): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const e of events) controller.enqueue(enc.encode(e));
      if (!options.hang) controller.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
}

const chunk = (content: string) => `data: ${JSON.stringify({ choices: [{ delta: { content } }] })}\n\n`;
const final = `data: ${JSON.stringify({
  choices: [],
  usage: { prompt_tokens: 12, completion_tokens: 3 },
  tier_assist: { tier: 'mid', model: 'claude-haiku-4-5', costUsd: 0.000027, frontierCostUsd: 0.000135 },
})}\n\ndata: [DONE]\n\n`;

describe('GatewayClient', () => {
  it('streams deltas split across network chunks and settles usage and meta', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const client = new GatewayClient({
      url: 'http://gw.test/',
      token: 'tok',
      fetch: async (url, init) => {
        seen.push({ url: String(url), init: init ?? {} });
        const all = chunk('Hel') + chunk('lo') + final;
        return sse([all.slice(0, 17), all.slice(17, 40), all.slice(40)]);
      },
    });
    const stream = client.chat({ tier: 'mid', messages: [{ role: 'user', content: 'hi' }], reason: 'hard' });
    const deltas: string[] = [];
    for await (const d of stream) deltas.push(d);
    const result = await stream.result;
    expect(deltas.join('')).toBe('Hello');
    expect(result).toMatchObject({
      text: 'Hello',
      model: 'claude-haiku-4-5',
      usage: { promptTokens: 12, completionTokens: 3 },
      meta: { tier: 'mid', costUsd: 0.000027 },
    });
    expect(seen[0]!.url).toBe('http://gw.test/v1/chat/completions');
    expect(new Headers(seen[0]!.init.headers).get('authorization')).toBe('Bearer tok');
    expect(JSON.parse(String(seen[0]!.init.body))).toMatchObject({
      tier: 'mid',
      stream: true,
      surface: 'component',
    });
  });

  it('turns a 503 not_configured body into NotConfiguredError naming the setting', async () => {
    const client = new GatewayClient({
      url: 'http://gw.test',
      fetch: async () =>
        Response.json(
          {
            error: { code: 'not_configured', message: 'Add ANTHROPIC_API_KEY', setting: 'ANTHROPIC_API_KEY' },
          },
          { status: 503 },
        ),
    });
    const error = await client
      .chat({ tier: 'mid', messages: [{ role: 'user', content: 'x' }] })
      .result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotConfiguredError);
    expect((error as NotConfiguredError).data).toMatchObject({ setting: 'ANTHROPIC_API_KEY', status: 503 });
  });

  it('maps 429 to RateLimitError and unknown 5xx codes to UpstreamError', async () => {
    const make = (status: number, code: string) =>
      new GatewayClient({
        url: 'http://gw.test',
        fetch: async () => Response.json({ error: { code, message: 'm' } }, { status }),
      });
    const msg = [{ role: 'user' as const, content: 'x' }];
    await expect(
      make(429, 'rate_limited').chat({ tier: 'mid', messages: msg }).result,
    ).rejects.toBeInstanceOf(RateLimitError);
    await expect(make(502, 'bad_gateway').chat({ tier: 'mid', messages: msg }).result).rejects.toBeInstanceOf(
      UpstreamError,
    );
  });

  it('surfaces an error event that arrives mid-stream', async () => {
    const client = new GatewayClient({
      url: 'http://gw.test',
      fetch: async () =>
        sse([
          chunk('part'),
          `event: error\ndata: ${JSON.stringify({ error: { code: 'upstream', message: 'cut' } })}\n\n`,
        ]),
    });
    const stream = client.chat({ tier: 'frontier', messages: [{ role: 'user', content: 'x' }] });
    const deltas: string[] = [];
    await expect(
      (async () => {
        for await (const d of stream) deltas.push(d);
      })(),
    ).rejects.toBeInstanceOf(UpstreamError);
    expect(deltas).toEqual(['part']);
  });

  it('aborts a hanging stream with AbortError', async () => {
    const controller = new AbortController();
    const client = new GatewayClient({
      url: 'http://gw.test',
      fetch: async (_url, init) => {
        const response = sse([chunk('a')], { hang: true });
        init?.signal?.addEventListener('abort', () => undefined);
        return response;
      },
    });
    const stream = client.chat(
      { tier: 'mid', messages: [{ role: 'user', content: 'x' }] },
      { signal: controller.signal },
    );
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe('a');
    controller.abort();
    // The reader stays pending on a hanging body; aborting must still settle the result.
    await expect(
      Promise.race([stream.result, new Promise((r) => setTimeout(() => r('hung'), 2000))]),
    ).rejects.toBeInstanceOf(AbortError);
  });

  it('reports an unreachable gateway as NetworkError', async () => {
    const client = new GatewayClient({
      url: 'http://gw.test',
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    await expect(
      client.chat({ tier: 'mid', messages: [{ role: 'user', content: 'x' }] }).result,
    ).rejects.toBeInstanceOf(NetworkError);
  });

  it('mints a token at the token endpoint and mints again after a 401', async () => {
    const calls: string[] = [];
    let minted = 0;
    const client = new GatewayClient({
      url: 'http://gw.test',
      tokenEndpoint: 'http://site.test/api/tier-token',
      fetch: async (url, init) => {
        const u = String(url);
        if (u.endsWith('/api/tier-token')) {
          minted += 1;
          calls.push(`mint${minted}`);
          return Response.json({ token: `t${minted}`, expiresIn: 300 });
        }
        const auth = new Headers(init?.headers).get('authorization');
        calls.push(`chat:${auth}`);
        if (auth === 'Bearer t1')
          return Response.json({ error: { code: 'unauthorized', message: 'expired' } }, { status: 401 });
        return sse([chunk('ok'), final]);
      },
    });
    const result = await client.chat({ tier: 'mid', messages: [{ role: 'user', content: 'x' }] }).result;
    expect(result.text).toBe('ok');
    expect(calls).toEqual(['mint1', 'chat:Bearer t1', 'mint2', 'chat:Bearer t2']);
  });
});
