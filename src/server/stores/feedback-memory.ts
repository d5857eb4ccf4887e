/**
 * In-process feedback store (one gateway process): per site, the newest records and the learned router.
 * Records are kept as the JSON strings the Redis store keeps, so both behave the same way (no shared objects).
 */
import type { FeedbackAppendResult, FeedbackRouterSnapshot, FeedbackSlice, FeedbackStore } from './types.ts';

interface SiteFeedback {
  records: string[];
  seq: number;
  state: string | null;
  applied: number;
}

export function createMemoryFeedbackStore(): FeedbackStore & { clear(): void } {
  const sites = new Map<string, SiteFeedback>();
  const siteOf = (site: string): SiteFeedback => {
    let s = sites.get(site);
    if (!s) {
      s = { records: [], seq: 0, state: null, applied: 0 };
      sites.set(site, s);
    }
    return s;
  };
  return {
    async append(site, records, cap): Promise<FeedbackAppendResult> {
      const s = siteOf(site);
      s.records.push(...records);
      s.seq += records.length;
      if (s.records.length > cap) s.records.splice(0, s.records.length - cap);
      return { seq: s.seq, stored: s.records.length };
    },
    async since(site, after, max): Promise<FeedbackSlice> {
      const s = sites.get(site);
      if (!s) return { records: [], firstSeq: 1, seq: 0 };
      const oldest = s.seq - s.records.length + 1;
      const firstSeq = Math.max(after + 1, oldest);
      const from = firstSeq - oldest;
      return { records: s.records.slice(from, from + Math.max(0, max)), firstSeq, seq: s.seq };
    },
    async router(site): Promise<FeedbackRouterSnapshot> {
      const s = sites.get(site);
      return s
        ? { state: s.state, applied: s.applied, seq: s.seq, stored: s.records.length }
        : { state: null, applied: 0, seq: 0, stored: 0 };
    },
    async saveRouter(site, expected, state, applied): Promise<boolean> {
      const s = siteOf(site);
      if (s.applied !== expected) return false;
      s.state = state;
      s.applied = applied;
      return true;
    },
    clear: () => sites.clear(),
  };
}
