/**
 * One chat request's life once its body is parsed: refuse it, or open the upstream and follow it to its
 * end (answered, client gone, upstream failed). Whatever happens after the budget reservation, `finish`
 * runs exactly once: it settles the budget, counts tokens into the rate windows, reports metrics and
 * writes the usage record. The HTTP side (JSON body or SSE) is chat.ts.
 */
import type { GatewayRequest, TierAssistMeta } from '../config/index.ts';
import type { AutoRoute } from './auto-record.ts';
import { AbortError, TierError } from '../errors.ts';
import { PRICES, costNanos, frontierCostNanos } from '../ledger/prices.ts';
import { AnswerTally, NO_COUNTS, tokensOf } from './answer-tally.ts';
import type { BudgetHold } from './budget.ts';
import type { GatewayConfig, TierTable } from './config.ts';
import { statusOf } from './error-map.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { Principal } from './principal.ts';
import type { Transport } from './providers/index.ts';
import { countTokens } from './rate-windows.ts';
import type { GatewayStore } from './stores/types.ts';
import { AttemptTimeout, openAnswer, toUpstreamError, type OpenedAnswer } from './upstream-call.ts';
import type { Outcome, UsageLog } from './usage.ts';
import {
  finishedRecord,
  observeFinished,
  refusedRecord,
  usageBase,
  writeUsage,
  type Ending,
  type UsageBase,
} from './usage-record.ts';

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

export class ChatExchange {
  readonly base: UsageBase;
  readonly promptChars: number;
  readonly tally = new AnswerTally();
  /** Aborted when the client goes away (request signal or a cancelled response stream). */
  readonly client = new AbortController();
  readonly #deps: ChatDeps;
  readonly #principal: Principal;
  #opened: OpenedAnswer | undefined;
  #ending: Ending = { outcome: 'ok', status: 200, errorCode: undefined };
  #attempts = 0;
  #finished = false;
  #hold: BudgetHold | undefined;
  #requestSignal: AbortSignal | undefined;
  readonly #onClientGone = () => this.client.abort(new AbortError());

  constructor(
    deps: ChatDeps,
    principal: Principal,
    readonly body: GatewayRequest,
    readonly started: number,
    route?: AutoRoute,
  ) {
    this.#deps = deps;
    this.#principal = principal;
    this.base = usageBase(started, principal, body, route);
    this.promptChars = body.messages.reduce((n, m) => n + m.content.length, 0);
  }

  get outcome(): Outcome {
    return this.#ending.outcome;
  }

  /** Record a request refused before any upstream call, then throw its error (the error map answers). */
  refuse(outcome: Outcome, error: TierError): never {
    const ending = { outcome, status: statusOf(error), errorCode: error.code };
    writeUsage(
      this.#deps.metrics,
      this.#deps.usageLog,
      refusedRecord(this.base, ending, this.#deps.now() - this.started),
      this.#deps.onUsageError,
    );
    this.#deps.metrics.requests.inc({ tier: this.base.requestedTier, outcome });
    throw error;
  }

  /** Open the upstream (retries and fallback inside); on failure, finish and throw the typed error. */
  async open(requestSignal: AbortSignal, hold: BudgetHold): Promise<OpenedAnswer> {
    const deps = this.#deps;
    const body = this.body;
    this.#hold = hold;
    this.#requestSignal = requestSignal;
    requestSignal.addEventListener('abort', this.#onClientGone, { once: true });
    try {
      const opened = await openAnswer({
        requestedTier: body.tier,
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
        tiers: deps.tiers,
        reliability: deps.config.reliability,
        signal: this.client.signal,
        transport: deps.transport,
        metrics: deps.metrics,
        now: deps.now,
      });
      this.#opened = opened;
      return opened;
    } catch (error) {
      const attempts = (error as TierError).data?.attempts;
      if (typeof attempts === 'number') this.#attempts = attempts;
      this.fail(error);
      await this.finish();
      throw error instanceof TierError ? error : toUpstreamError(error, this.#attempts);
    }
  }

  /** Note how the request failed: client abort, upstream timeout or upstream error. */
  fail(error: unknown): void {
    const e = this.client.signal.aborted ? new AbortError(undefined, { cause: error }) : error;
    const te = e instanceof TierError ? e : toUpstreamError(e, this.#attempts);
    const outcome: Outcome =
      te instanceof AbortError
        ? 'client_abort'
        : te.data?.timeout === true || e instanceof AttemptTimeout
          ? 'timeout'
          : 'upstream_error';
    this.#ending = { outcome, status: statusOf(te), errorCode: te.code };
  }

  /** Settle, count, observe and record the request; runs once, later calls do nothing. */
  async finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    const deps = this.#deps;
    const opened = this.#opened;
    this.#requestSignal?.removeEventListener('abort', this.#onClientGone);
    opened?.done();
    const counts = opened ? this.tally.counts(this.promptChars) : NO_COUNTS;
    const served = {
      upstream: opened?.upstream,
      fallbackFrom: opened?.fallbackFrom,
      ttfbMs: opened?.ttfbMs,
      attempts: opened?.attempts ?? this.#attempts,
      counts,
    };
    const record = finishedRecord(this.base, served, this.#ending, deps.now() - this.started);
    observeFinished(deps.metrics, record);
    try {
      await this.#hold?.settle(record.costNanos);
      await countTokens(deps.store, this.#principal, deps.config, counts.input + counts.output, this.started);
    } catch (error) {
      deps.onUsageError?.(error);
    }
    writeUsage(deps.metrics, deps.usageLog, record, deps.onUsageError);
  }

  /** The response's `usage` (OpenAI shape; `estimated` when the provider sent no counts). */
  usage() {
    const counts = this.tally.counts(this.promptChars);
    return {
      prompt_tokens: counts.input,
      completion_tokens: counts.output,
      total_tokens: counts.input + counts.output,
      ...(counts.estimated ? { estimated: true } : {}),
    };
  }

  /** The response's `tier_assist` (which tier and model answered, cost against the frontier default). */
  meta(ans: OpenedAnswer): TierAssistMeta {
    const tokens = tokensOf(this.tally.counts(this.promptChars));
    return {
      tier: ans.upstream.tier,
      model: ans.upstream.model,
      costUsd: (costNanos(ans.upstream.model, tokens, ans.upstream.prices) ?? 0) / 1e9,
      frontierCostUsd: frontierCostNanos(tokens, PRICES) / 1e9,
      ...(ans.fallbackFrom ? { fallbackFrom: ans.fallbackFrom } : {}),
      latencyMs: this.#deps.now() - this.started,
    };
  }
}
