/**
 * A local stand-in for the paid providers the gateway calls, speaking their exact SSE formats:
 *   POST /v1/chat/completions  OpenAI chat completions (stream + stream_options.include_usage, or JSON)
 *   POST /v1/messages          Anthropic Messages (message_start, content_block_start, ping,
 *                              content_block_delta*, content_block_stop, message_delta with cumulative
 *                              output_tokens, message_stop)
 * Base URLs: OpenAI-compatible = `${url}/v1`, Anthropic = `url`.
 *
 * Behaviour per request comes from a queue of scripted `faults` (consumed in order, one per request),
 * falling back to `options.fault` ('none' by default):
 *   { kind: 'status', status: 429 | 500 | ..., retryAfter?: seconds }  HTTP error with a JSON body
 *   { kind: 'stall' }                      accept the request, never send a byte (first-byte timeout)
 *   { kind: 'cut', afterDeltas: n }        send n text deltas, then destroy the socket
 *   { kind: 'error-event', afterDeltas: n} send n deltas, then an `error` event (Anthropic) or
 *                                          `data: {"error": ...}` (OpenAI), then end
 *   { kind: 'slow', delayMs }              wait between deltas (for abort tests)
 * The answer is `options.replyFor(body)` when it returns one, else `options.reply` (default "Hello from
 * the stand-in.") split in words (one stand-in can play a small, a mid and a frontier model whose
 * answers differ, e.g. a small one that says it does not know to one question); input tokens are
 * `ceil(promptChars / 4)`, output tokens = number of deltas sent. Every request is recorded in `requests`
 * (path, headers, parsed body) so tests can check what the gateway sent (model, max_tokens...).
 *
 * const up = await startUpstream(); ... up.faults.push({kind: 'status', status: 429, retryAfter: 1}); ...
 * await up.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { kind: 'none' }
  | { kind: 'status'; status: number; retryAfter?: number }
  | { kind: 'stall' }
  | { kind: 'cut'; afterDeltas: number }
  | { kind: 'error-event'; afterDeltas: number }
  | { kind: 'slow'; delayMs: number };

export interface UpstreamRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

export interface UpstreamOptions {
  reply?: string;
  /** The answer to one request (its parsed body: model, messages...); undefined falls back to `reply`. */
  replyFor?: (body: Record<string, unknown>) => string | undefined;
  fault?: Fault;
  /** Delay before the first byte of every answer (ms). */
  firstByteDelayMs?: number;
}

export interface Upstream {
  url: string;
  /** `${url}/v1`: the OpenAI-compatible base URL. */
  openaiBaseUrl: string;
  /** `url`: the Anthropic base URL (the provider appends /v1/messages). */
  anthropicBaseUrl: string;
  faults: Fault[];
  requests: UpstreamRequest[];
  /** Requests whose socket closed before the answer ended (client/gateway aborted). */
  aborted: number;
  options: UpstreamOptions;
  close(): Promise<void>;
}

function words(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [text];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startUpstream(options: UpstreamOptions = {}): Promise<Upstream> {
  const faults: Fault[] = [];
  const requests: UpstreamRequest[] = [];
  const sockets = new Set<Socket>();
  const state = { aborted: 0 };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad json"}}');
      return;
    }
    const path = req.url ?? '/';
    requests.push({ path, headers: req.headers, body });
    const fault = faults.shift() ?? options.fault ?? { kind: 'none' };
    const anthropic = path.startsWith('/v1/messages');
    if (!anthropic && !path.startsWith('/v1/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    let finished = false;
    res.on('close', () => {
      if (!finished) state.aborted++;
    });
    if (fault.kind === 'status') {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      const error = anthropic
        ? {
            type: 'error',
            error: {
              type: fault.status === 429 ? 'rate_limit_error' : 'api_error',
              message: `stand-in ${fault.status}`,
            },
          }
        : { error: { message: `stand-in ${fault.status}`, type: 'server_error' } };
      finished = true;
      res.writeHead(fault.status, headers).end(JSON.stringify(error));
      return;
    }
    if (fault.kind === 'stall') return; // never answer; the caller must time out
    if (options.firstByteDelayMs) await sleep(options.firstByteDelayMs);

    const messages = (body.messages as { content?: string }[] | undefined) ?? [];
    const system = typeof body.system === 'string' ? body.system.length : 0;
    const promptChars = messages.reduce(
      (n, m) => n + (typeof m.content === 'string' ? m.content.length : 0),
      system,
    );
    const inputTokens = Math.ceil(promptChars / 4);
    const maxTokens = Number(body.max_tokens ?? body.max_completion_tokens ?? 1e9);
    const all = words(options.replyFor?.(body) ?? options.reply ?? 'Hello from the stand-in.');
    const deltas = all.slice(0, maxTokens);
    const stopReason = deltas.length < all.length ? 'length' : 'stop';
    const stream = body.stream === true;
    const model = String(body.model ?? 'unknown');

    if (!stream) {
      finished = true;
      const text = deltas.join('');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          anthropic
            ? {
                type: 'message',
                role: 'assistant',
                model,
                content: [{ type: 'text', text }],
                stop_reason: stopReason === 'length' ? 'max_tokens' : 'end_turn',
                usage: { input_tokens: inputTokens, output_tokens: deltas.length },
              }
            : {
                object: 'chat.completion',
                model,
                choices: [
                  { index: 0, message: { role: 'assistant', content: text }, finish_reason: stopReason },
                ],
                usage: {
                  prompt_tokens: inputTokens,
                  completion_tokens: deltas.length,
                  total_tokens: inputTokens + deltas.length,
                },
              },
        ),
      );
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (event: string | undefined, data: unknown) =>
      res.write(
        `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`,
      );
    const limit = fault.kind === 'cut' || fault.kind === 'error-event' ? fault.afterDeltas : deltas.length;
    const id = `stand-in-${requests.length}`;
    const created = Math.floor(Date.now() / 1000);

    if (anthropic) {
      send('message_start', {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          usage: { input_tokens: inputTokens, output_tokens: 1 },
        },
      });
      send('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      });
      send('ping', { type: 'ping' });
    } else {
      send(undefined, {
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      });
    }
    for (let i = 0; i < Math.min(limit, deltas.length); i++) {
      if (fault.kind === 'slow') await sleep(fault.delayMs);
      if (res.destroyed) return;
      if (anthropic)
        send('content_block_delta', {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: deltas[i] },
        });
      else
        send(undefined, {
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          choices: [{ index: 0, delta: { content: deltas[i] }, finish_reason: null }],
        });
    }
    if (fault.kind === 'cut') {
      await sleep(5);
      res.socket?.destroy();
      return;
    }
    if (fault.kind === 'error-event') {
      if (anthropic)
        send('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
      else
        send(undefined, {
          error: { message: 'The server had an error while processing your request.', type: 'server_error' },
        });
      finished = true;
      res.end();
      return;
    }
    if (anthropic) {
      send('content_block_stop', { type: 'content_block_stop', index: 0 });
      send('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stopReason === 'length' ? 'max_tokens' : 'end_turn', stop_sequence: null },
        usage: { output_tokens: deltas.length },
      });
      send('message_stop', { type: 'message_stop' });
    } else {
      send(undefined, {
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta: {}, finish_reason: stopReason }],
      });
      if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage)
        send(undefined, {
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          choices: [],
          usage: {
            prompt_tokens: inputTokens,
            completion_tokens: deltas.length,
            total_tokens: inputTokens + deltas.length,
          },
        });
      send(undefined, '[DONE]');
    }
    finished = true;
    res.end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url,
    faults,
    requests,
    get aborted() {
      return state.aborted;
    },
    options,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
