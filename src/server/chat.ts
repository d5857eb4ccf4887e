/**
 * POST /v1/chat/completions: validate, reserve budget (budget.ts), open the upstream (retries/fallback
 * before the first byte, upstream-call.ts), then stream OpenAI chat.completion.chunk SSE (sse-encoder.ts)
 * or answer with one chat.completion body. Whatever happens after the reservation (done, client gone,
 * upstream cut), the request's ChatExchange (chat-exchange.ts) settles the budget, counts tokens and
 * metrics and writes the usage record (usage-record.ts) exactly once. Every error status comes from the
 * error map (error-map.ts): this file throws typed errors and never picks a status.
 *
 * `model` names the tier as OpenAI clients send it; `model: "auto"` routes with the browser's router
 * (auto-route.ts): a decision for the small tier runs the cascade (small answers first, whole; the
 * router's verifier judges it; a rejected or failed small answer escalates to the next tier, its own
 * usage record saying so). Non-auto requests take the same path as before, with no added per-chunk work.
 */
import type { Context } from 'hono';
import type { GatewayRequest } from '../config/index.ts';
import { AbortError, InvalidInputError, TierError, UpstreamError, toTierError } from '../errors.ts';
import type { AutoRoute } from './auto-record.ts';
import {
  decideAuto,
  headerText,
  nextTier,
  readChatRequest,
  verifySmall,
  type ChatRequest,
} from './auto-route.ts';
import { reserveBudget } from './budget.ts';
import { ChatExchange, type ChatDeps } from './chat-exchange.ts';
import type { GatewayEnv } from './principal.ts';
import { ProviderStreamError, type ProviderEvent } from './providers/index.ts';
import { SSE_DONE, batchedSseStream, chunkEncoder, type SseSink } from './sse-encoder.ts';
import { AttemptTimeout, requireTier, toUpstreamError, type OpenedAnswer } from './upstream-call.ts';

export type { ChatDeps } from './chat-exchange.ts';

async function readBody(c: Context, deps: ChatDeps): Promise<ChatRequest> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch (error) {
    if (error instanceof TierError) throw error;
    throw new InvalidInputError(
      'The request body is not valid JSON. Send {"model": "auto", "messages": [...]} (or a tier: "mid", "frontier").',
      { cause: error },
    );
  }
  return readChatRequest(json, deps.tiers);
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

/** `tier_assist` of a response: the exchange's meta, plus the auto decision when the gateway routed. */
function metaOf(x: ChatExchange, ans: OpenedAnswer, route: AutoRoute | undefined) {
  return route ? { ...x.meta(ans), route } : x.meta(ans);
}

/** Read the whole answer into the tally; a failure mid-answer finishes the exchange and throws typed. */
async function readAnswer(x: ChatExchange, ans: OpenedAnswer): Promise<void> {
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
}

/** `stream: false`: read the whole answer, then one chat.completion body. */
async function answerJson(
  c: Context<GatewayEnv>,
  x: ChatExchange,
  ans: OpenedAnswer,
  route?: AutoRoute,
): Promise<Response> {
  await readAnswer(x, ans);
  return jsonBody(c, x, ans, route);
}

/** One chat.completion body from an answer already read. */
function jsonBody(c: Context<GatewayEnv>, x: ChatExchange, ans: OpenedAnswer, route?: AutoRoute): Response {
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
    tier_assist: metaOf(x, ans, route),
  };
  void x.finish();
  c.header('x-tier-assist-tier', ans.upstream.tier);
  return c.json(json);
}

/**
 * SSE response headers (and the served tier, known once the upstream answered its first byte); `chunked`
 * for a body that is a stream, not for one already whole.
 */
function streamHeaders(c: Context<GatewayEnv>, ans: OpenedAnswer, chunked: boolean): void {
  c.header('content-type', 'text/event-stream; charset=utf-8');
  c.header('cache-control', 'no-cache, no-transform');
  c.header('x-accel-buffering', 'no');
  // Declared up front so @hono/node-server sends the headers at once instead of probing the body for a
  // content-length (which waits a timer turn: milliseconds of added latency on a busy machine).
  if (chunked) c.header('transfer-encoding', 'chunked');
  c.header('x-tier-assist-tier', ans.upstream.tier);
}

/** `stream: true`: relay the answer as chunks as it comes; a failure mid-answer ends in an error event. */
function answerStream(
  c: Context<GatewayEnv>,
  x: ChatExchange,
  ans: OpenedAnswer,
  route?: AutoRoute,
): Response {
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
      sink.write(chunks.tail({ usage: x.usage(), tier_assist: metaOf(x, ans, route) }));
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
      sink.write(chunks.error(te, { usage: x.usage(), tier_assist: metaOf(x, ans, route) }));
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
  streamHeaders(c, ans, true);
  return c.body(stream, 200);
}

/** `stream: true` for a small answer already read and accepted: the same chunks, sent at once. */
function replayStream(
  c: Context<GatewayEnv>,
  x: ChatExchange,
  ans: OpenedAnswer,
  route: AutoRoute,
): Response {
  const chunks = chunkEncoder(`chatcmpl-${x.base.id}`, Math.floor(x.started / 1000), ans.upstream.model);
  const text =
    chunks.content(x.tally.text, true) +
    chunks.finish(x.tally.finish ?? 'stop') +
    chunks.tail({ usage: x.usage(), tier_assist: metaOf(x, ans, route) }) +
    SSE_DONE;
  void x.finish();
  streamHeaders(c, ans, false);
  return c.body(text, 200);
}

/**
 * Open one tier for a body: refuse it when the tier is not served or the budget is spent (a usage record
 * either way), else reserve the budget and open the upstream (from here on x.finish() runs exactly once).
 */
async function openTier(
  c: Context<GatewayEnv>,
  deps: ChatDeps,
  body: GatewayRequest,
  started: number,
  route?: AutoRoute,
): Promise<{ x: ChatExchange; ans: OpenedAnswer }> {
  const principal = c.var.principal;
  const x = new ChatExchange(deps, principal, body, started, route);

  // 1. Is the tier served at all? (NotConfiguredError: 503 naming the setting on a fresh machine.)
  let plan;
  try {
    plan = requireTier(body.tier, deps.tiers, deps.config.reliability.fallback);
  } catch (error) {
    return x.refuse('not_configured', toTierError(error));
  }

  // 2. Reserve the worst case against the site's daily budget.
  const reservation = await reserveBudget({
    store: deps.store,
    site: principal.site,
    day: x.base.day,
    limitUsd: principal.siteConfig?.dailyBudgetUsd,
    plan,
    body,
    promptChars: x.promptChars,
    started,
  });
  if (!reservation.ok) return x.refuse('budget_exceeded', reservation.error);

  // 3. Open the upstream.
  const ans = await x.open(c.req.raw.signal, reservation.hold);
  return { x, ans };
}

/** The answer of a tier: JSON or SSE, as the body asks. */
function respond(c: Context<GatewayEnv>, x: ChatExchange, ans: OpenedAnswer, route?: AutoRoute) {
  return x.body.stream ? answerStream(c, x, ans, route) : answerJson(c, x, ans, route);
}

/** Only an upstream failure of the small tier escalates; a client gone, a budget refusal do not. */
function smallFailed(error: unknown): error is UpstreamError {
  return error instanceof UpstreamError;
}

/**
 * `model: "auto"`: route, then answer from the decided tier; a small decision runs the cascade. The
 * small answer is read whole before anything is sent (a rejected answer must never reach the client).
 */
async function answerAuto(
  c: Context<GatewayEnv>,
  deps: ChatDeps,
  body: GatewayRequest,
  started: number,
): Promise<Response> {
  const route = decideAuto(body, deps.tiers, deps.config.auto.quality);
  c.header('x-tier-assist-route', route.tier);
  c.header('x-tier-assist-reason', headerText(route.reason));
  if (route.tier !== 'small') {
    const { x, ans } = await openTier(c, deps, { ...body, tier: route.tier }, started, route);
    return respond(c, x, ans, route);
  }

  // The small attempt's own record carries the verdict: this object is filled in before it finishes.
  const smallRoute: AutoRoute = { ...route };
  let why: string;
  try {
    const { x, ans } = await openTier(c, deps, { ...body, tier: 'small' }, started, smallRoute);
    await readAnswer(x, ans);
    const verdict = verifySmall(body, x.tally.text, x.tally.finish);
    smallRoute.verdict = verdict;
    if (verdict.accept) {
      c.header('x-tier-assist-escalated', 'false');
      return body.stream ? replayStream(c, x, ans, smallRoute) : jsonBody(c, x, ans, smallRoute);
    }
    void x.finish();
    why = `the cascade verifier rejected the small answer (${verdict.reason})`;
  } catch (error) {
    if (!smallFailed(error) || c.req.raw.signal.aborted) throw error;
    why = `the small tier failed (${error.message})`;
  }

  const to = nextTier(deps.tiers);
  const escalated: AutoRoute = {
    ...smallRoute,
    escalated: { from: 'small', to, reason: `Escalated to ${to}: ${why}.` },
  };
  c.header('x-tier-assist-escalated', 'true');
  const { x, ans } = await openTier(c, deps, { ...body, tier: to }, started, escalated);
  return respond(c, x, ans, escalated);
}

export function createChatHandler(deps: ChatDeps) {
  return async function chatCompletions(c: Context<GatewayEnv>): Promise<Response> {
    const started = deps.now();
    const request = await readBody(c, deps);
    if (request.auto) return answerAuto(c, deps, request.body, started);
    const { x, ans } = await openTier(c, deps, request.body, started);
    return respond(c, x, ans);
  };
}
