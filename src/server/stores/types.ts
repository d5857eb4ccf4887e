/**
 * What the gateway keeps between requests: rate-limit windows and daily budgets. Memory (one process) and
 * Redis (several processes share limits) implement the same interface; every operation is atomic.
 */

export interface WindowResult {
  /** The window's total after this call. */
  total: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

export interface ReserveResult {
  ok: boolean;
  /** Settled spend today, nano-dollars. */
  spentNanos: number;
  /** Reserved by requests in flight, nano-dollars (after this call when ok). */
  reservedNanos: number;
}

export interface BudgetState {
  spentNanos: number;
  reservedNanos: number;
}

/** Seconds a client is told to wait (Retry-After) while the store is down: about one reconnect attempt. */
export const STORE_RETRY_AFTER_SECONDS = 2;

export interface StoreHealth {
  kind: 'memory' | 'redis';
  /** False while the store is unreachable or too slow (requests that need it get 503 store_unavailable). */
  ok: boolean;
  /** Outages since start (each time the store went from reachable to not, or was unreachable at start). */
  outages: number;
  /** Store operations that failed because the store was down or timed out. */
  failures: number;
  /** The last failure while down. */
  error?: string;
}

export interface GatewayStore {
  /** Add `amount` to the fixed window `key` (created with `windowMs` lifetime) and return the new total. */
  incrementWindow(key: string, amount: number, windowMs: number): Promise<WindowResult>;
  /** Read a window's total without changing it. */
  readWindow(key: string): Promise<WindowResult>;
  /**
   * Reserve `amountNanos` against `limitNanos` for `key` (a site and day): succeeds only when
   * spent + reserved + amount <= limit, atomically.
   */
  reserve(key: string, amountNanos: number, limitNanos: number, ttlMs: number): Promise<ReserveResult>;
  /** Release a reservation and add the real cost. */
  settle(key: string, reservedNanos: number, actualNanos: number, ttlMs: number): Promise<BudgetState>;
  budget(key: string): Promise<BudgetState>;
  /** Check the store now (Redis: PING within the command timeout). Never throws. */
  health(): Promise<StoreHealth>;
  /** The last known health, without a round trip (for /metrics). */
  stats(): StoreHealth;
  close(): Promise<void>;
}
