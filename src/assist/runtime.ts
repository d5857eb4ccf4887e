/**
 * The heavy half of <tier-assist>, loaded on the first request: the router (with its weights), the
 * gateway client (one per gateway and credentials, src/remote/factory.ts), the ledger, the feedback
 * store with the per-user learner (learning.ts) and the orchestrator. Kept out of the element's first load.
 */
import { FeedbackStore } from '../ledger/feedback-store.ts';
import { Ledger } from '../ledger/index.ts';
import { gatewayClient } from '../remote/index.ts';
import { route, verifyAnswer } from '../router/index.ts';
import { Learner, type RollbackInfo } from './learning.ts';
import { Orchestrator } from './orchestrator.ts';
import type { AssistDeps, AssistSettings, LedgerSink } from './types.ts';

export interface RuntimeOptions {
  gateway: string | undefined;
  token?: string | undefined;
  tokenEndpoint?: string | undefined;
  localEngine: AssistDeps['localEngine'];
  localAvailable: AssistDeps['localAvailable'];
  settings: Partial<AssistSettings>;
  /** Record answers in the client ledger (IndexedDB "tier-ledger"); default true. */
  ledger?: boolean;
  /**
   * Feedback and the per-user router (issue 15): `learn` routes with what this browser learned,
   * `record` only keeps the feedback (static routing), `off` neither. Default `learn`.
   */
  learning?: 'learn' | 'record' | 'off';
  /** IndexedDB database of the feedback store (default "tier-feedback"). */
  feedbackStore?: string | undefined;
  onRolledBack?: (info: RollbackInfo) => void;
}

/** The learner, or undefined when the store cannot be opened (private mode...): static routing then. */
async function openLearner(options: RuntimeOptions): Promise<Learner | undefined> {
  const mode = options.learning ?? 'learn';
  if (mode === 'off') return undefined;
  try {
    const store = await FeedbackStore.open(options.feedbackStore);
    return await Learner.open({
      store,
      learn: mode === 'learn',
      ...(options.onRolledBack ? { onRolledBack: options.onRolledBack } : {}),
    });
  } catch {
    return undefined;
  }
}

let ledger: Promise<LedgerSink | undefined> | undefined;
function sharedLedger(): Promise<LedgerSink | undefined> {
  ledger ??= Ledger.open().catch(() => undefined);
  return ledger;
}

export async function createOrchestrator(options: RuntimeOptions): Promise<Orchestrator> {
  const remote = options.gateway
    ? gatewayClient({
        gateway: options.gateway,
        token: options.token,
        tokenEndpoint: options.tokenEndpoint,
        surface: 'component',
      })
    : undefined;
  return new Orchestrator(
    {
      route,
      verifyAnswer,
      localEngine: options.localEngine,
      localAvailable: options.localAvailable,
      remote,
      ledger: options.ledger === false ? undefined : await sharedLedger(),
      learner: await openLearner(options),
    },
    options.settings,
  );
}
