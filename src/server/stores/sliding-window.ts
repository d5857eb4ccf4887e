/**
 * Sliding-window counter, shared by the memory store and (mirrored in Lua) the Redis store.
 *
 * Time is cut into fixed slots of `windowMs`; each slot keeps one counter. A window's count at time `now`
 * is the current slot's counter plus the previous slot's counter weighted by how much of the previous slot
 * still lies inside [now - windowMs, now]:
 *
 *   count = previous x (1 - elapsed / windowMs) + current,   elapsed = now - start of the current slot
 *
 * Unlike fixed windows, a client cannot send 2x the limit across a slot boundary: right after the boundary
 * the previous slot still counts almost fully. (It assumes the previous slot's hits were spread evenly, the
 * usual approximation; it never admits more than the limit within any slot pair.)
 */

/** Where `now` falls: its slot number and how far into the slot it is. */
export function slotOf(now: number, windowMs: number): { slot: number; elapsed: number } {
  const slot = Math.floor(now / windowMs);
  return { slot, elapsed: now - slot * windowMs };
}

/** Rounding slack: 3 x (1 - 20/60) is 2.0000000000000004 in doubles, and must still leave room for 1. */
export const EPSILON = 1e-9;

/** Whether `need` more fits under `limit` (with {@link EPSILON} slack for float rounding). */
export function fits(count: number, need: number, limit: number): boolean {
  return count + need <= limit + EPSILON;
}

export function slidingCount(previous: number, current: number, elapsed: number, windowMs: number): number {
  return previous * (1 - elapsed / windowMs) + current;
}

/**
 * Milliseconds until `need` more fits under `limit`, assuming nothing else is added meanwhile
 * (the honest Retry-After). 0 when it fits now; one window when it can never fit (need > limit).
 */
export function retryAfterMs(
  previous: number,
  current: number,
  elapsed: number,
  windowMs: number,
  need: number,
  limit: number,
): number {
  if (need > limit) return windowMs;
  if (fits(slidingCount(previous, current, elapsed, windowMs), need, limit)) return 0;
  if (current + need <= limit) {
    // Fits later in this slot, once enough of the previous slot has slid out.
    return Math.ceil(Math.max(0, windowMs * (1 - (limit - current - need) / previous) - elapsed) - 1e-6);
  }
  // Only after this slot ends: the current slot becomes the previous one and slides out in turn.
  return Math.ceil(windowMs - elapsed + Math.max(0, windowMs * (1 - (limit - need) / current)) - 1e-6);
}
