/**
 * What the gateway keeps between requests: sliding rate-limit windows and daily budgets. Memory (one process) and
 * Redis (several processes share limits) implement the same interface; every operation is atomic.
 */

/** One rate-limit window checked (and counted) by {@link GatewayStore.admit}. */
export interface WindowCheck {
  /** The window's name (scope and kind); the store keeps one counter per slot under it. */
  key: string;
  /** Refuse when the sliding count + `need` exceeds this (Infinity: never refuse, only count). */
  limit: number;
  /** How much must still fit (1 for "room for one more request/token"). */
  need: number;
  /** How much to add when everything is admitted (0 to check only). */
  add: number;
}

export interface AdmitResult {
  allowed: boolean;
  /** Index of the first window that refused (-1 when allowed). */
  refused: number;
  /** Milliseconds until that window has room again (0 when allowed). */
  retryAfterMs: number;
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
  /**
   * Sliding-window rate limit (sliding-window.ts), atomically over every window: when any window's count +
   * `need` exceeds its `limit`, refuse and change nothing; otherwise add each window's `add` at `now`.
   */
  admit(windows: readonly WindowCheck[], windowMs: number, now: number): Promise<AdmitResult>;
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
  /** Feedback records and the learned router per site (POST /v1/feedback, GET /v1/router). */
  feedback: FeedbackStore;
}

/** What {@link FeedbackStore.append} reports after adding a site's batch. */
export interface FeedbackAppendResult {
  /** Records ever accepted for the site (the sequence number of the newest one; the first is 1). */
  seq: number;
  /** Records kept now (the newest `cap`; older ones were dropped). */
  stored: number;
}

/** Consecutive records of one site, oldest first: `records[i]` has sequence number `firstSeq + i`. */
export interface FeedbackSlice {
  records: string[];
  firstSeq: number;
  /** Records ever accepted for the site when this was read. */
  seq: number;
}

/** A site's learned router as stored: the state JSON and the sequence number of the last record it learned. */
export interface FeedbackRouterSnapshot {
  /** `OnlineRouter.state()` as JSON; null before the first save. */
  state: string | null;
  /** Records 1..applied have been learned into `state`. */
  applied: number;
  seq: number;
  stored: number;
}

/**
 * Per-site feedback records (serialized FeedbackRecord JSON, never prompt text) and the site's online router
 * state (src/server/feedback-learner.ts). Every operation is atomic, so several gateways can share one store.
 */
export interface FeedbackStore {
  /** Append a batch in order and keep only the newest `cap` records of the site (oldest out). */
  append(site: string, records: readonly string[], cap: number): Promise<FeedbackAppendResult>;
  /** Up to `max` kept records with sequence number > `after`, oldest first. */
  since(site: string, after: number, max: number): Promise<FeedbackSlice>;
  router(site: string): Promise<FeedbackRouterSnapshot>;
  /**
   * Compare-and-set: store `state` as having learned records 1..`applied` only when the stored `applied` is
   * still `expected` (no other gateway saved in between). False when it was not saved.
   */
  saveRouter(site: string, expected: number, state: string, applied: number): Promise<boolean>;
}
