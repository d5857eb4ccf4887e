/**
 * Per-site learning at the gateway (issue 15): each site's online router (src/router/online.ts) is the fold
 * of the site's feedback records, in the order the store accepted them, over the static router.
 *
 * How several gateways share it without losing updates: the store numbers every accepted record (1, 2, ...)
 * and keeps the router state together with `applied`, the number of the last record learned into it.
 * To catch up, a gateway reads the state and `applied`, learns the records after `applied` in order
 * (refitting after every record whose number is a multiple of `refitEvery`), and saves with a
 * compare-and-set on `applied`. Learning is deterministic (no randomness in learn/refit), so whichever
 * gateway wins, the saved state is the same fold of records 1..applied; a gateway that loses the race
 * reloads and learns only what is still missing. No lock: a gateway that dies mid-learning leaves nothing
 * half-saved, and the next request on any gateway catches up. See docs/gateway.md (Feedback).
 */
import {
  createOnlineRouter,
  MAX_STORED_FEEDBACK,
  parseFeedbackRecord,
  parseOnlineState,
  type OnlineConfig,
  type OnlineRouter,
  type OnlineState,
} from '../router/learning.ts';
import type { FeedbackRouterSnapshot, FeedbackStore } from './stores/types.ts';

export interface FeedbackLearningOptions {
  /** Try to promote what was learned after every this many records of the site (default 50). */
  refitEvery?: number;
  /** Records kept per site, oldest out (default MAX_STORED_FEEDBACK, 5000). */
  cap?: number;
  /** Compare-and-set attempts before leaving the rest to the next request (default 5). */
  attempts?: number;
  /** Records read per store call while catching up (default 500). */
  chunk?: number;
  /** Settings of a new site's online router (default: the router's own defaults). */
  router?: Partial<OnlineConfig>;
  /** Told about stored records or states that do not parse (they are skipped, never fatal). */
  log?: (error: unknown) => void;
}

export const DEFAULT_REFIT_EVERY = 50;

/** What GET /v1/router and POST /v1/feedback report about a site. */
export interface SiteRouterView {
  /** The learned router (`OnlineRouter.state()`), null while the site has no feedback. */
  state: OnlineState | null;
  /** `state.counters.version`: the serving model's version (0 before the first refit). */
  version: number;
  counts: {
    /** Records ever accepted for the site. */
    records: number;
    /** Records kept now (at most the cap). */
    stored: number;
    /** Records learned into `state` (equals `records` when up to date). */
    learned: number;
    refits: number;
    rollbacks: number;
  };
  /** False when another gateway kept winning the save and some records are still to be learned. */
  upToDate: boolean;
}

interface Resolved {
  refitEvery: number;
  cap: number;
  attempts: number;
  chunk: number;
  router: Partial<OnlineConfig>;
  log: (error: unknown) => void;
}

function resolveLearning(options: FeedbackLearningOptions): Resolved {
  return {
    refitEvery: Math.max(1, Math.floor(options.refitEvery ?? DEFAULT_REFIT_EVERY)),
    cap: Math.max(1, Math.floor(options.cap ?? MAX_STORED_FEEDBACK)),
    attempts: Math.max(1, Math.floor(options.attempts ?? 5)),
    chunk: Math.max(1, Math.floor(options.chunk ?? 500)),
    router: options.router ?? {},
    log: options.log ?? (() => undefined),
  };
}

/** The stored state as a router; a state that does not parse is reported and replaced by a fresh router. */
function restore(snap: FeedbackRouterSnapshot, o: Resolved): { router: OnlineRouter; fresh: boolean } {
  if (snap.state !== null) {
    try {
      return { router: createOnlineRouter({ state: JSON.parse(snap.state) as unknown }), fresh: false };
    } catch (error) {
      o.log(error);
    }
  }
  return { router: createOnlineRouter({ config: o.router }), fresh: true };
}

function view(
  state: OnlineState | null,
  snap: Pick<FeedbackRouterSnapshot, 'seq' | 'stored'>,
  learned: number,
): SiteRouterView {
  return {
    state,
    version: state?.counters.version ?? 0,
    counts: {
      records: snap.seq,
      stored: snap.stored,
      learned,
      refits: state?.counters.refits ?? 0,
      rollbacks: state?.counters.rollbacks ?? 0,
    },
    upToDate: learned >= snap.seq,
  };
}

function parsedState(json: string | null, log: (error: unknown) => void): OnlineState | null {
  if (json === null) return null;
  try {
    return parseOnlineState(JSON.parse(json) as unknown);
  } catch (error) {
    log(error);
    return null;
  }
}

export interface FeedbackLearner {
  /** Store a validated batch for the site, in order (oldest out past the cap). */
  append(site: string, records: readonly unknown[]): Promise<{ seq: number; stored: number }>;
  /**
   * Learn the site's records that its stored router has not learned yet and save the result (see the file
   * comment for why this is safe with several gateways). Returns the site's router as saved.
   */
  catchUp(site: string): Promise<SiteRouterView>;
}

export function createFeedbackLearner(
  store: FeedbackStore,
  options: FeedbackLearningOptions = {},
): FeedbackLearner {
  const o = resolveLearning(options);

  /** Learn records after `from` into `router`; returns the number of the last record learned. */
  async function learnFrom(site: string, router: OnlineRouter, from: number): Promise<number> {
    let applied = from;
    for (;;) {
      const slice = await store.since(site, applied, o.chunk);
      slice.records.forEach((raw, i) => {
        try {
          router.learn(parseFeedbackRecord(JSON.parse(raw) as unknown).feedback);
        } catch (error) {
          o.log(error); // validated before it was stored: only a tampered store gets here
        }
        if ((slice.firstSeq + i) % o.refitEvery === 0) router.refit();
      });
      // Nothing kept after `applied` (a store emptied by hand): nothing left to learn up to slice.seq.
      if (slice.records.length === 0) return Math.max(applied, slice.seq);
      applied = slice.firstSeq + slice.records.length - 1;
      if (slice.records.length < o.chunk) return applied;
    }
  }

  return {
    append: (site, records) =>
      store.append(
        site,
        records.map((r) => JSON.stringify(r)),
        o.cap,
      ),
    async catchUp(site) {
      let snap = await store.router(site);
      for (let attempt = 0; attempt < o.attempts && snap.applied < snap.seq; attempt++) {
        const { router, fresh } = restore(snap, o);
        // A state that could not be restored is rebuilt from every record still kept.
        const applied = await learnFrom(site, router, fresh ? 0 : snap.applied);
        const state = router.state();
        if (await store.saveRouter(site, snap.applied, JSON.stringify(state), applied)) {
          const after = await store.router(site);
          return view(state, after, applied);
        }
        snap = await store.router(site); // another gateway saved first: learn only what it has not
      }
      return view(parsedState(snap.state, o.log), snap, snap.applied);
    },
  };
}
