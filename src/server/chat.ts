/**
 * POST /v1/chat/completions: validate, reserve budget, open the upstream (retries/fallback before the first
 * byte), then stream OpenAI chat.completion.chunk SSE (or one chat.completion body). Whatever happens after
 * the reservation (done, client gone, upstream cut), one `finally` settles the budget, counts tokens and
 * metrics and writes the usage record.
 */
import type { Context } from 'hono';
import {
  GatewayRequestSchema,
  type GatewayRequest,
  type RemoteTier,
  type TierAssistMeta,
} from '../config/index.ts';
import {
  AbortError,
  BudgetExceededError,
  InvalidInputError,
  TierError,
  UpstreamError,
  toTierError,
} from '../errors.ts';
import { PRICES, costNanos, frontierCostNanos } from '../ledger/prices.ts';
import type { GatewayConfig, TierTable } from './config.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { GatewayEnv } from './middleware/access.ts';
import { countTokens } from './middleware/rate-limit.ts';
import {
  ProviderStreamError,
  type FinishReason,
  type ProviderEvent,
  type Transport,
} from './providers/index.ts';
import type { GatewayStore } from './stores/types.ts';
import {
  AttemptTimeout,
  openAnswer,
  requireTier,
  toUpstreamError,
  type OpenedAnswer,
} from './upstream-call.ts';
import type { Outcome, UsageLog, UsageRecord } from './usage.ts';

export interface ChatDeps {
  config: GatewayConfig;
  tiers: TierTable;
  store: GatewayStore;
  usageLog: UsageLog;
  metrics: GatewayMetrics;
  transport: Transport;
  now: () => number;
  onUsageError?: (error: unknown) => void;
}

const DAY_MS = 86_400_000;
const encoder = new TextEncoder();

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

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

class Accounting {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  cachedInputTokens: number | undefined;
  text = '';
  finish: FinishReason | undefined;

  take(event: ProviderEvent): string | undefined {
    if (event.type === 'delta') {
      this.text += event.text;
      return event.text;
    }
    if (event.type === 'usage') {
      if (event.inputTokens !== undefined) this.inputTokens = event.inputTokens;
      if (event.outputTokens !== undefined) this.outputTokens = event.outputTokens;
      if (event.cachedInputTokens !== undefined) this.cachedInputTokens = event.cachedInputTokens;
    } else this.finish = event.reason;
    return undefined;
  }

  /** Provider counts when it sent them, otherwise estimated from text (~4 characters a token). */
  counts(promptChars: number): { input: number; output: number; cached: number; estimated: boolean } {
    const estimated = this.inputTokens === undefined || this.outputTokens === undefined;
    return {
      input: this.inputTokens ?? Math.ceil(promptChars / 4),
      output: this.outputTokens ?? Math.ceil(this.text.length / 4),
      cached: this.cachedInputTokens ?? 0,
      estimated,
    };
  }
}

export function createChatHandler(deps: ChatDeps) {
  const { config, tiers, store, usageLog, metrics } = deps;

  return async function chatCompletions(c: Context<GatewayEnv>): Promise<Response> {
    const started = deps.now();
    const principal = c.var.principal;
    const body = await readBody(c);
    const requestedTier: RemoteTier = body.tier;
    const promptChars = body.messages.reduce((n, m) => n + m.content.length, 0);
    const base = {
      id: `ta-${started.toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
      ts: new Date(started).toISOString(),
      day: utcDay(started),
      site: principal.site,
      ...(principal.user ? { user: principal.user } : {}),
      ...(body.surface ? { surface: body.surface } : {}),
      ...(body.reason ? { reason: body.reason } : {}),
      requestedTier,
      stream: body.stream,
      ...(principal.siteConfig?.logPrompts ? { prompt: body.messages } : {}),
    };
    const log = (record: UsageRecord) => {
      metrics.usageWritten.inc({});
      usageLog.append(record).catch((error: unknown) => deps.onUsageError?.(error));
    };
    const refused = (outcome: Outcome, error: TierError, status: number): never => {
      log({
        ...base,
        tier: requestedTier,
        inputTokens: 0,
        outputTokens: 0,
        costNanos: 0,
        frontierCostNanos: 0,
        latencyMs: deps.now() - started,
        attempts: 0,
        outcome,
        status,
        errorCode: error.code,
      });
      metrics.requests.inc({ tier: requestedTier, outcome });
      throw error;
    };

    // 1. Is the tier served at all? (503 naming the setting on a fresh machine.)
    let plan;
    try {
      plan = requireTier(requestedTier, tiers, config.reliability.fallback);
    } catch (error) {
      return refused('not_configured', toTierError(error), 503);
    }

    // 2. Reserve the worst case against the site's daily budget.
    const budgetKey = `${principal.site}:${base.day}`;
    const limitUsd = principal.siteConfig?.dailyBudgetUsd;
    let reserved = 0;
    if (limitUsd !== undefined) {
      const worst = Math.max(
        ...plan.map((up) => {
          const maxOut = Math.min(body.max_tokens ?? up.maxTokens, up.maxTokens);
          // A token is at least one character: promptChars bounds the input tokens from above.
          return (
            costNanos(up.model, {
              inputTokens: promptChars + 16 * body.messages.length,
              outputTokens: maxOut,
            }) ?? frontierCostNanos({ inputTokens: promptChars, outputTokens: maxOut })
          );
        }),
      );
      const r = await store.reserve(budgetKey, worst, Math.round(limitUsd * 1e9), 2 * DAY_MS);
      if (!r.ok) {
        const retryAfterSeconds = Math.ceil((DAY_MS - (started % DAY_MS)) / 1000);
        return refused(
          'budget_exceeded',
          new BudgetExceededError(
            `The site's daily budget ($${limitUsd}) is used up (or reserved by requests in flight). It resets at 00:00 UTC; raise dailyBudgetUsd to allow more.`,
            { data: { retryAfterSeconds, spentUsd: r.spentNanos / 1e9, reservedUsd: r.reservedNanos / 1e9 } },
          ),
          429,
        );
      }
      reserved = worst;
    }

    // 3. Open the upstream; from here on, the finally below always runs exactly once.
    const client = new AbortController();
    const onClientGone = () => client.abort(new AbortError());
    c.req.raw.signal.addEventListener('abort', onClientGone, { once: true });
    const acct = new Accounting();
    let opened: OpenedAnswer | undefined;
    let outcome: Outcome = 'ok';
    let status = 200;
    let errorCode: string | undefined;
    let attempts = 0;
    let finished = false;

    const finish = async () => {
      if (finished) return;
      finished = true;
      c.req.raw.signal.removeEventListener('abort', onClientGone);
      opened?.done();
      const end = deps.now();
      const served = opened?.upstream;
      const counts = served ? acct.counts(promptChars) : { input: 0, output: 0, cached: 0, estimated: false };
      const tokens = {
        inputTokens: counts.input,
        outputTokens: counts.output,
        cachedInputTokens: counts.cached,
      };
      const cost = served ? (costNanos(served.model, tokens) ?? 0) : 0;
      const tier = served?.tier ?? requestedTier;
      const record: UsageRecord = {
        ...base,
        tier,
        ...(opened?.fallbackFrom ? { fallbackFrom: opened.fallbackFrom } : {}),
        ...(served ? { provider: served.provider, model: served.model } : {}),
        inputTokens: counts.input,
        outputTokens: counts.output,
        ...(counts.cached ? { cachedInputTokens: counts.cached } : {}),
        ...(counts.estimated ? { usageEstimated: true } : {}),
        costNanos: cost,
        frontierCostNanos: served ? frontierCostNanos(tokens) : 0,
        latencyMs: end - started,
        ...(opened ? { ttfbMs: opened.ttfbMs } : {}),
        attempts: opened?.attempts ?? attempts,
        outcome,
        status,
        ...(errorCode ? { errorCode } : {}),
      };
      metrics.requests.inc({ tier, outcome });
      metrics.latency.observe({ tier, outcome }, (end - started) / 1000);
      if (opened) metrics.ttfb.observe({ tier }, opened.ttfbMs / 1000);
      if (served) {
        metrics.tokens.inc({ tier, kind: 'input' }, counts.input);
        metrics.tokens.inc({ tier, kind: 'output' }, counts.output);
        metrics.cost.inc({ tier }, cost / 1e9);
      }
      try {
        if (limitUsd !== undefined) await store.settle(budgetKey, reserved, cost, 2 * DAY_MS);
        await countTokens(store, principal, config, counts.input + counts.output, started);
      } catch (error) {
        deps.onUsageError?.(error);
      }
      log(record);
    };

    const fail = (error: unknown) => {
      const e = client.signal.aborted ? new AbortError(undefined, { cause: error }) : error;
      if (e instanceof AbortError) {
        outcome = 'client_abort';
        status = 499;
        errorCode = 'aborted';
      } else {
        const te = e instanceof TierError ? e : toUpstreamError(e, attempts);
        outcome = te.data?.timeout === true || e instanceof AttemptTimeout ? 'timeout' : 'upstream_error';
        status = te.data?.timeout === true ? 504 : 502;
        errorCode = te.code;
      }
    };

    try {
      opened = await openAnswer({
        requestedTier,
        request: {
          messages: body.messages,
          maxTokens: body.max_tokens,
          ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
          ...(body.top_p !== undefined ? { topP: body.top_p } : {}),
          ...(body.stop !== undefined
            ? { stop: typeof body.stop === 'string' ? [body.stop] : body.stop }
            : {}),
          ...(body.response_format ? { responseFormat: body.response_format } : {}),
        },
        tiers,
        reliability: config.reliability,
        signal: client.signal,
        transport: deps.transport,
        metrics,
        now: deps.now,
      });
    } catch (error) {
      attempts =
        typeof (error as TierError).data?.attempts === 'number'
          ? Number((error as TierError).data?.attempts)
          : attempts;
      fail(error);
      await finish();
      throw error instanceof TierError ? error : toUpstreamError(error, attempts);
    }

    const ans = opened;
    const id = `chatcmpl-${base.id}`;
    const created = Math.floor(started / 1000);
    const meta = (): TierAssistMeta => {
      const counts = acct.counts(promptChars);
      const tokens = {
        inputTokens: counts.input,
        outputTokens: counts.output,
        cachedInputTokens: counts.cached,
      };
      return {
        tier: ans.upstream.tier,
        model: ans.upstream.model,
        costUsd: (costNanos(ans.upstream.model, tokens) ?? 0) / 1e9,
        frontierCostUsd: frontierCostNanos(tokens, PRICES) / 1e9,
        ...(ans.fallbackFrom ? { fallbackFrom: ans.fallbackFrom } : {}),
        latencyMs: deps.now() - started,
      };
    };
    const usage = () => {
      const counts = acct.counts(promptChars);
      return {
        prompt_tokens: counts.input,
        completion_tokens: counts.output,
        total_tokens: counts.input + counts.output,
        ...(counts.estimated ? { estimated: true } : {}),
      };
    };

    if (!body.stream) {
      try {
        acct.take(ans.first);
        for (;;) {
          const next = await ans.rest.next();
          if (next.done) break;
          acct.take(next.value);
        }
      } catch (caught) {
        const error = ans.signal.reason instanceof AttemptTimeout ? ans.signal.reason : caught;
        fail(error);
        await finish();
        if (error instanceof AttemptTimeout)
          throw new UpstreamError('The upstream attempt timed out mid-answer. Try again.', {
            cause: error,
            data: { timeout: true },
          });
        if (error instanceof ProviderStreamError)
          throw new UpstreamError(`${error.message}. Try again.`, { cause: error });
        throw error instanceof TierError ? error : toUpstreamError(error, ans.attempts);
      }
      const json = {
        id,
        object: 'chat.completion',
        created,
        model: ans.upstream.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: acct.text },
            finish_reason: acct.finish ?? 'stop',
          },
        ],
        usage: usage(),
        tier_assist: meta(),
      };
      void finish();
      return c.json(json);
    }

    const sse = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
    // Every chunk shares its head and tail: build them once and JSON-encode only the delta text (the
    // bytes are exactly those of JSON.stringify on the whole chunk object, in the same key order).
    const head = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(ans.upstream.model)},"choices":[{"index":0,"delta":`;
    const contentChunk = (text: string, first: boolean) =>
      `${head}{${first ? '"role":"assistant",' : ''}"content":${JSON.stringify(text)}},"finish_reason":null}]}\n\n`;
    const finishChunk = (reason: string) => `${head}{},"finish_reason":${JSON.stringify(reason)}}]}\n\n`;
    let sentRole = false;
    let cancelled = false;
    // Events parsed from one network read arrive within microtasks of each other: gather them and write
    // once per read (one syscall instead of one per delta), flushing on the next macrotask.
    const later: (fn: () => void) => void =
      (globalThis as { setImmediate?: (fn: () => void) => void }).setImmediate ?? ((fn) => setTimeout(fn, 0));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        let pending = '';
        let scheduled = false;
        const flush = () => {
          scheduled = false;
          if (pending === '' || cancelled) return;
          const out = encoder.encode(pending);
          pending = '';
          controller.enqueue(out);
        };
        const write = (text: string) => {
          pending += text;
          if (!scheduled) {
            scheduled = true;
            later(flush);
          }
        };
        const end = () => {
          flush();
          if (!cancelled) controller.close();
        };
        void (async () => {
          try {
            let event: ProviderEvent | undefined = ans.first;
            while (event) {
              const text = acct.take(event);
              if (text !== undefined) {
                write(contentChunk(text, !sentRole));
                sentRole = true;
              }
              const next = await ans.rest.next();
              event = next.done ? undefined : next.value;
            }
            write(finishChunk(acct.finish ?? 'stop'));
            write(
              sse({
                id,
                object: 'chat.completion.chunk',
                created,
                model: ans.upstream.model,
                choices: [],
                usage: usage(),
                tier_assist: meta(),
              }),
            );
            write('data: [DONE]\n\n');
            end();
          } catch (caught) {
            // The attempt timer aborts the upstream read: whatever the read threw, the cause is the timeout.
            const error = ans.signal.reason instanceof AttemptTimeout ? ans.signal.reason : caught;
            fail(error);
            if (outcome === 'client_abort' || cancelled) {
              if (!cancelled) controller.error(error);
              return;
            }
            const te =
              error instanceof ProviderStreamError
                ? new UpstreamError(`${error.message}. The answer is incomplete; try again.`, {
                    data: { kind: error.kind },
                  })
                : error instanceof AttemptTimeout
                  ? new UpstreamError(
                      'The upstream attempt timed out mid-answer. The answer is incomplete; try again.',
                      { data: { timeout: true } },
                    )
                  : toTierError(error);
            write(
              sse({
                error: { code: te.code, message: te.message, type: te.name },
                usage: usage(),
                tier_assist: meta(),
              }),
            );
            write('data: [DONE]\n\n');
            end();
          } finally {
            void finish();
          }
        })();
      },
      async cancel(reason) {
        cancelled = true;
        client.abort(new AbortError(undefined, { cause: reason }));
        ans.abort();
        fail(new AbortError());
        await ans.rest.return?.().catch(() => undefined);
      },
    });
    c.header('content-type', 'text/event-stream; charset=utf-8');
    c.header('cache-control', 'no-cache, no-transform');
    c.header('x-accel-buffering', 'no');
    // Declared up front so @hono/node-server sends the headers at once instead of probing the body for a
    // content-length (which waits a timer turn: milliseconds of added latency on a busy machine).
    c.header('transfer-encoding', 'chunked');
    return c.body(stream, 200);
  };
}
