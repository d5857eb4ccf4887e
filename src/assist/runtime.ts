/**
 * The heavy half of <tier-assist>, loaded on the first request: the router (with its weights), the
 * gateway client (one per gateway and credentials, src/remote/factory.ts), the ledger and the
 * orchestrator. Kept out of the element's first load.
 */
import { Ledger } from '../ledger/index.ts';
import { gatewayClient } from '../remote/index.ts';
import { route, verifyAnswer } from '../router/index.ts';
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
    },
    options.settings,
  );
}
