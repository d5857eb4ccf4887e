/**
 * UTC days, shared by the chat handler (budget day of a request), the budget (when it resets) and
 * GET /v1/usage (default range). Its own module so handlers and middleware need not import each other.
 */

export const DAY_MS = 86_400_000;

/** The UTC day of an epoch-millisecond time, as YYYY-MM-DD. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Whole seconds from `ms` until the next 00:00 UTC (at least 1). */
export function secondsToNextUtcDay(ms: number): number {
  return Math.ceil((DAY_MS - (ms % DAY_MS)) / 1000);
}
