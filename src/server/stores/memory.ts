/** In-process store: the embedded default (one gateway process). */
import type { BudgetState, GatewayStore, ReserveResult, WindowResult } from './types.ts';

interface Window {
  total: number;
  expiresAt: number;
}

export function createMemoryStore(now: () => number = Date.now): GatewayStore {
  const windows = new Map<string, Window>();
  const budgets = new Map<string, BudgetState & { expiresAt: number }>();
  let sweeps = 0;

  const sweep = () => {
    if (++sweeps % 1000 !== 0) return;
    const t = now();
    for (const [key, w] of windows) if (w.expiresAt <= t) windows.delete(key);
    for (const [key, b] of budgets) if (b.expiresAt <= t && b.reservedNanos === 0) budgets.delete(key);
  };

  const live = (key: string): Window | undefined => {
    const w = windows.get(key);
    if (w && w.expiresAt <= now()) {
      windows.delete(key);
      return undefined;
    }
    return w;
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
    async incrementWindow(key, amount, windowMs): Promise<WindowResult> {
      sweep();
      let w = live(key);
      if (!w) {
        w = { total: 0, expiresAt: now() + windowMs };
        windows.set(key, w);
      }
      w.total += amount;
      return { total: w.total, resetMs: w.expiresAt - now() };
    },
    async readWindow(key): Promise<WindowResult> {
      const w = live(key);
      return w ? { total: w.total, resetMs: w.expiresAt - now() } : { total: 0, resetMs: 0 };
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
    },
  };
}
