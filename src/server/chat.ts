/**
 * POST /v1/chat/completions: validate, reserve budget (budget.ts), open the upstream (retries/fallback
 * before the first byte, upstream-call.ts), then stream OpenAI chat.completion.chunk SSE (sse-encoder.ts)
 * or answer with one chat.completion body. Whatever happens after the reservation (done, client gone,
 * upstream cut), the request's ChatExchange (chat-exchange.ts) settles the budget, counts tokens and
 * metrics and writes the usage record (usage-record.ts) exactly once. Every error status comes from the
 * error map (error-map.ts): this file throws typed errors and never picks a status.
 */
import type { Context } from 'hono';
import { GatewayRequestSchema, type GatewayRequest } from '../config/index.ts';
import { AbortError, InvalidInputError, TierError, UpstreamError, toTierError } from '../errors.ts';
import { reserveBudget } from './budget.ts';
import { ChatExchange, type ChatDeps } from './chat-exchange.ts';
import type { GatewayEnv } from './principal.ts';
import { ProviderStreamError, type ProviderEvent } from './providers/index.ts';
import { SSE_DONE, batchedSseStream, chunkEncoder, type SseSink } from './sse-encoder.ts';
import { AttemptTimeout, requireTier, toUpstreamError, type OpenedAnswer } from './upstream-call.ts';

export type { ChatDeps } from './chat-exchange.ts';

async function readBody(c: Context): Promise<GatewayRequest> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch (error) {
    if (error instanceof TierError) throw error;
    throw new InvalidInputError(
      'The request body is not valid JSON. Send {"tier": "mid", "messages": [...]}.',
      { cause: error },
    );
  }
  const parsed = GatewayRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') ?? '';
    throw new InvalidInputError(
      `Invalid request body: ${field ? `"${field}" ` : ''}${issue?.message ?? 'invalid'}. Name a tier ("mid" or "frontier") and send messages; the gateway picks the model.`,
      { data: { field } },
    );
  }
  return parsed.data;
}

/** The upstream timer aborts the read: whatever the read threw, the cause is then the timeout. */
function causeOf(ans: OpenedAnswer, caught: unknown): unknown {
  return ans.signal.reason instanceof AttemptTimeout ? ans.signal.reason : caught;
}

/**
 * The typed error of an answer that broke off after its first byte: a cut or malformed upstream stream,
 * or the attempt timer (504 through the error map); `otherwise` for anything else.
 */
function midAnswerError(error: unknown, advice: string, otherwise: (error: unknown) => TierError): TierError {
  if (error instanceof ProviderStreamError)
    return new UpstreamError(`${error.message}. ${advice}`, { cause: error, data: { kind: error.kind } });
  if (error instanceof AttemptTimeout)
    return new UpstreamError(`The upstream attempt timed out mid-answer. ${advice}`, {
      cause: error,
      data: { timeout: true },
    });
  return otherwise(error);
}

/** `stream: false`: read the whole answer, then one chat.completion body. */
async function answerJson(c: Context<GatewayEnv>, x: ChatExchange, ans: OpenedAnswer): Promise<Response> {
  try {
    x.tally.take(ans.first);
    for (;;) {
      const next = await ans.rest.next();
      if (next.done) break;
      x.tally.take(next.value);
    }
  } catch (caught) {
    const error = causeOf(ans, caught);
    x.fail(error);
    await x.finish();
    throw midAnswerError(error, 'Try again.', (e) =>
      e instanceof TierError ? e : toUpstreamError(e, ans.attempts),
    );
  }
  const json = {
    id: `chatcmpl-${x.base.id}`,
    object: 'chat.completion',
    created: Math.floor(x.started / 1000),
    model: ans.upstream.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: x.tally.text },
        finish_reason: x.tally.finish ?? 'stop',
      },
    ],
    usage: x.usage(),
    tier_assist: x.meta(ans),
  };
  void x.finish();
  return c.json(json);
}

/** `stream: true`: relay the answer as chunks as it comes; a failure mid-answer ends in an error event. */
function answerStream(c: Context<GatewayEnv>, x: ChatExchange, ans: OpenedAnswer): Response {
  const chunks = chunkEncoder(`chatcmpl-${x.base.id}`, Math.floor(x.started / 1000), ans.upstream.model);
  const relay = async (sink: SseSink) => {
    let sentRole = false;
    try {
      let event: ProviderEvent | undefined = ans.first;
      while (event) {
        const text = x.tally.take(event);
        if (text !== undefined) {
          sink.write(chunks.content(text, !sentRole));
          sentRole = true;
        }
        const next = await ans.rest.next();
        event = next.done ? undefined : next.value;
      }
      sink.write(chunks.finish(x.tally.finish ?? 'stop'));
      sink.write(chunks.tail({ usage: x.usage(), tier_assist: x.meta(ans) }));
      sink.write(SSE_DONE);
      sink.end();
    } catch (caught) {
      const error = causeOf(ans, caught);
      x.fail(error);
      if (x.outcome === 'client_abort' || sink.cancelled()) {
        if (!sink.cancelled()) sink.error(error);
        return;
      }
      const te = midAnswerError(error, 'The answer is incomplete; try again.', toTierError);
      sink.write(chunks.error(te, { usage: x.usage(), tier_assist: x.meta(ans) }));
      sink.write(SSE_DONE);
      sink.end();
    } finally {
      void x.finish();
    }
  };
  const stream = batchedSseStream(
    (sink) => void relay(sink),
    async (reason) => {
      x.client.abort(new AbortError(undefined, { cause: reason }));
      ans.abort();
      x.fail(new AbortError());
      await ans.rest.return?.().catch(() => undefined);
    },
  );
  c.header('content-type', 'text/event-stream; charset=utf-8');
  c.header('cache-control', 'no-cache, no-transform');
  c.header('x-accel-buffering', 'no');
  // Declared up front so @hono/node-server sends the headers at once instead of probing the body for a
  // content-length (which waits a timer turn: milliseconds of added latency on a busy machine).
  c.header('transfer-encoding', 'chunked');
  return c.body(stream, 200);
}

export function createChatHandler(deps: ChatDeps) {
  const { config, tiers, store } = deps;

  return async function chatCompletions(c: Context<GatewayEnv>): Promise<Response> {
    const started = deps.now();
    const principal = c.var.principal;
    const x = new ChatExchange(deps, principal, await readBody(c), started);

    // 1. Is the tier served at all? (NotConfiguredError: 503 naming the setting on a fresh machine.)
    let plan;
    try {
      plan = requireTier(x.body.tier, tiers, config.reliability.fallback);
    } catch (error) {
      return x.refuse('not_configured', toTierError(error));
    }

    // 2. Reserve the worst case against the site's daily budget.
    const reservation = await reserveBudget({
      store,
      site: principal.site,
      day: x.base.day,
      limitUsd: principal.siteConfig?.dailyBudgetUsd,
      plan,
      body: x.body,
      promptChars: x.promptChars,
      started,
    });
    if (!reservation.ok) return x.refuse('budget_exceeded', reservation.error);

    // 3. Open the upstream; from here on, x.finish() runs exactly once.
    const ans = await x.open(c.req.raw.signal, reservation.hold);
    return x.body.stream ? answerStream(c, x, ans) : answerJson(c, x, ans);
  };
}
