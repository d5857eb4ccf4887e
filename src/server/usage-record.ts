/**
 * The usage record of one chat request (schema in usage.ts) and the metrics it reports. A request leaves
 * exactly one record: a refused one (tier not configured, budget used up) or a finished one (answered,
 * client gone, upstream failed); a `model: "auto"` request the cascade escalated leaves one per tier it
 * reached (the small attempt, then the answer), each with its `route`. Secrets never enter a record; the prompt only when the site logs prompts.
 */
import type { GatewayRequest, GatewayTier } from '../config/index.ts';
import type { AutoRoute } from './auto-record.ts';
import { costNanos, frontierCostNanos } from '../ledger/prices.ts';
import { tokensOf, type AnswerCounts } from './answer-tally.ts';
import type { ResolvedUpstream } from './config.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { Principal } from './principal.ts';
import { utcDay } from './time.ts';
import type { Outcome, UsageLog, UsageRecord } from './usage.ts';

/** The fields a request fixes when it arrives. */
export type UsageBase = Pick<
  UsageRecord,
  | 'id'
  | 'ts'
  | 'day'
  | 'site'
  | 'user'
  | 'surface'
  | 'reason'
  | 'requestedTier'
  | 'stream'
  | 'prompt'
  | 'route'
>;

export function usageBase(
  started: number,
  principal: Principal,
  body: GatewayRequest,
  route?: AutoRoute,
): UsageBase {
  return {
    id: `ta-${started.toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
    ts: new Date(started).toISOString(),
    day: utcDay(started),
    site: principal.site,
    ...(principal.user ? { user: principal.user } : {}),
    ...(body.surface ? { surface: body.surface } : {}),
    ...(body.reason ? { reason: body.reason } : {}),
    requestedTier: body.tier,
    stream: body.stream,
    ...(principal.siteConfig?.logPrompts ? { prompt: body.messages } : {}),
    ...(route ? { route } : {}),
  };
}

/** How a request ended: outcome, the status the error map gives it, and the error's code. */
export interface Ending {
  outcome: Outcome;
  status: number;
  errorCode: string | undefined;
}

/** A request refused before any upstream call: nothing used, nothing spent. */
export function refusedRecord(
  base: UsageBase,
  ending: Ending & { errorCode: string },
  latencyMs: number,
): UsageRecord {
  return {
    ...base,
    tier: base.requestedTier,
    inputTokens: 0,
    outputTokens: 0,
    costNanos: 0,
    frontierCostNanos: 0,
    latencyMs,
    attempts: 0,
    outcome: ending.outcome,
    status: ending.status,
    errorCode: ending.errorCode,
  };
}

/** What the upstream side of a finished request produced (`upstream` unset when none answered). */
export interface Served {
  upstream: ResolvedUpstream | undefined;
  fallbackFrom: GatewayTier | undefined;
  ttfbMs: number | undefined;
  attempts: number;
  counts: AnswerCounts;
}

/** A request that reached the upstream stage, whatever became of it. */
export function finishedRecord(
  base: UsageBase,
  served: Served,
  ending: Ending,
  latencyMs: number,
): UsageRecord {
  const { upstream, counts } = served;
  const tokens = tokensOf(counts);
  return {
    ...base,
    tier: upstream?.tier ?? base.requestedTier,
    ...(served.fallbackFrom ? { fallbackFrom: served.fallbackFrom } : {}),
    ...(upstream ? { provider: upstream.provider, model: upstream.model } : {}),
    inputTokens: counts.input,
    outputTokens: counts.output,
    ...(counts.cached ? { cachedInputTokens: counts.cached } : {}),
    ...(counts.estimated ? { usageEstimated: true } : {}),
    costNanos: upstream ? (costNanos(upstream.model, tokens, upstream.prices) ?? 0) : 0,
    frontierCostNanos: upstream ? frontierCostNanos(tokens) : 0,
    latencyMs,
    ...(served.ttfbMs !== undefined ? { ttfbMs: served.ttfbMs } : {}),
    attempts: served.attempts,
    outcome: ending.outcome,
    status: ending.status,
    ...(ending.errorCode ? { errorCode: ending.errorCode } : {}),
  };
}

/** Request, latency, first-byte, token and cost metrics of a finished request, read off its record. */
export function observeFinished(metrics: GatewayMetrics, record: UsageRecord): void {
  const { tier, outcome } = record;
  metrics.requests.inc({ tier, outcome });
  metrics.latency.observe({ tier, outcome }, record.latencyMs / 1000);
  if (record.ttfbMs !== undefined) metrics.ttfb.observe({ tier }, record.ttfbMs / 1000);
  if (record.provider !== undefined) {
    metrics.tokens.inc({ tier, kind: 'input' }, record.inputTokens);
    metrics.tokens.inc({ tier, kind: 'output' }, record.outputTokens);
    metrics.cost.inc({ tier }, record.costNanos / 1e9);
  }
}

/** Queue a record for the usage log (never awaited on the response path; failures go to onError). */
export function writeUsage(
  metrics: GatewayMetrics,
  usageLog: UsageLog,
  record: UsageRecord,
  onError: ((error: unknown) => void) | undefined,
): void {
  metrics.usageWritten.inc({});
  usageLog.append(record).catch((error: unknown) => onError?.(error));
}
