/** In-process store: the embedded default (one gateway process). */
import { createMemoryFeedbackStore } from './feedback-memory.ts';
import { fits, retryAfterMs, slidingCount, slotOf } from './sliding-window.ts';
import type { AdmitResult, BudgetState, GatewayStore, ReserveResult, WindowCheck } from './types.ts';

interface Slot {
  total: number;
  expiresAt: number;
}

/** The store's admit over its slot map: every check must fit before any is counted. */
function admitInWindows(
  windows: Map<string, Slot>,
  checks: readonly WindowCheck[],
  windowMs: number,
  at: number,
): AdmitResult {
  const count = (key: string): number => {
    const w = windows.get(key);
    return w && w.expiresAt > at ? w.total : 0;
  };
  const { slot, elapsed } = slotOf(at, windowMs);
  for (let i = 0; i < checks.length; i++) {
    const w = checks[i]!;
    if (w.limit === Infinity) continue;
    const previous = count(`${w.key}:${slot - 1}`);
    const current = count(`${w.key}:${slot}`);
    if (!fits(slidingCount(previous, current, elapsed, windowMs), w.need, w.limit))
      return {
        allowed: false,
        refused: i,
        retryAfterMs: Math.max(1, retryAfterMs(previous, current, elapsed, windowMs, w.need, w.limit)),
      };
  }
  for (const w of checks) {
    if (w.add <= 0) continue;
    const key = `${w.key}:${slot}`;
    const expiresAt = (slot + 2) * windowMs;
    const existing = windows.get(key);
    if (existing && existing.expiresAt > at) existing.total += w.add;
    else windows.set(key, { total: w.add, expiresAt });
  }
  return { allowed: true, refused: -1, retryAfterMs: 0 };
}

export function createMemoryStore(now: () => number = Date.now): GatewayStore {
  const windows = new Map<string, Slot>();
  const budgets = new Map<string, BudgetState & { expiresAt: number }>();
  let sweeps = 0;
  const feedback = createMemoryFeedbackStore();

  // Rate-limit slots live on the caller's clock (admit's `at`), budgets on the store's.
  let lastAt = -Infinity;
  const sweep = () => {
    if (++sweeps % 1000 !== 0) return;
    const t = now();
    for (const [key, w] of windows) if (w.expiresAt <= lastAt) windows.delete(key);
    for (const [key, b] of budgets) if (b.expiresAt <= t && b.reservedNanos === 0) budgets.delete(key);
  };

  const budgetOf = (key: string, ttlMs: number) => {
    let b = budgets.get(key);
    if (!b) {
      b = { spentNanos: 0, reservedNanos: 0, expiresAt: now() + ttlMs };
      budgets.set(key, b);
    }
    return b;
  };

  return {
    async admit(checks, windowMs, at): Promise<AdmitResult> {
      lastAt = Math.max(lastAt, at);
      sweep();
      return admitInWindows(windows, checks, windowMs, at);
    },
    async reserve(key, amountNanos, limitNanos, ttlMs): Promise<ReserveResult> {
      sweep();
      const b = budgetOf(key, ttlMs);
      if (b.spentNanos + b.reservedNanos + amountNanos > limitNanos)
        return { ok: false, spentNanos: b.spentNanos, reservedNanos: b.reservedNanos };
      b.reservedNanos += amountNanos;
      return { ok: true, spentNanos: b.spentNanos, reservedNanos: b.reservedNanos };
    },
    async settle(key, reservedNanos, actualNanos, ttlMs): Promise<BudgetState> {
      const b = budgetOf(key, ttlMs);
      b.reservedNanos = Math.max(0, b.reservedNanos - reservedNanos);
      b.spentNanos += actualNanos;
      return { spentNanos: b.spentNanos, reservedNanos: b.reservedNanos };
    },
    async budget(key): Promise<BudgetState> {
      const b = budgets.get(key);
      return { spentNanos: b?.spentNanos ?? 0, reservedNanos: b?.reservedNanos ?? 0 };
    },
    health: async () => ({ kind: 'memory', ok: true, outages: 0, failures: 0 }),
    stats: () => ({ kind: 'memory', ok: true, outages: 0, failures: 0 }),
    async close() {
      windows.clear();
      budgets.clear();
      feedback.clear();
    },
    feedback,
  };
}
