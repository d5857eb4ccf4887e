/** A month of plausible demo traffic for `<tier-savings>` (the demo page and the tests use it). Deterministic. */
import type { Tier } from '../../src/config/schemas.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import type { LedgerEntry } from '../../src/ledger/record.ts';

const DAY = 86_400_000;

/** Record 30 days of requests ending at `now` into `ledger` (about 150: 60% on-device, 30% mid, 10% frontier). */
export async function seedDemoLedger(ledger: Ledger, now: number): Promise<number> {
  let count = 0;
  for (let d = 0; d < 30; d += 1) {
    const n = 3 + ((d * 7) % 5);
    for (let i = 0; i < n; i += 1) {
      const k = (d * 31 + i * 17) % 10;
      const tier: Tier = k < 6 ? 'local' : k < 9 ? 'mid' : 'frontier';
      const entry: LedgerEntry = {
        time: now - d * DAY - i * 600_000,
        surface: 'assist',
        task: 'chat',
        tier,
        inputTokens: 300 + 40 * k,
        outputTokens: 150 + 25 * i,
        cachedInputTokens: tier === 'mid' ? 100 : 0,
        ttftMs: tier === 'local' ? 150 + 10 * k : tier === 'mid' ? 480 + 20 * i : 1800 + 50 * k,
        totalMs: tier === 'local' ? 2000 + 100 * k : tier === 'mid' ? 3500 + 150 * i : 7000 + 300 * k,
        escalated: tier === 'frontier',
        escalationReason: tier === 'frontier' ? 'demo: the verifier rejected the mid answer' : null,
        reason: 'demo data',
      };
      await ledger.record(entry);
      count += 1;
    }
  }
  return count;
}
