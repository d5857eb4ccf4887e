/**
 * The heavy half of <tier-assist>, loaded on the first request: the router (with its weights), the
 * gateway client, the ledger and the orchestrator. Kept out of the element's first load.
 */
import { Ledger } from '../ledger/index.ts';
import { GatewayClient } from '../remote/index.ts';
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

/** Resolve a gateway attribute (absolute URL or a path on this origin) to a base URL. */
export function gatewayUrl(gateway: string): string {
  return new URL(gateway, globalThis.location?.href ?? 'http://localhost/').href.replace(/\/+$/, '');
}

/** One client per gateway + credentials, so a minted token is reused across requests until it nears expiry. */
const clients = new Map<string, GatewayClient>();
function gatewayClient(options: RuntimeOptions): GatewayClient {
  const url = gatewayUrl(options.gateway ?? '/');
  const key = JSON.stringify([url, options.token ?? '', options.tokenEndpoint ?? '']);
  let client = clients.get(key);
  if (!client) {
    client = new GatewayClient({
      url,
      ...(options.token ? { token: options.token } : {}),
      ...(options.tokenEndpoint ? { tokenEndpoint: options.tokenEndpoint } : {}),
      surface: 'component',
    });
    clients.set(key, client);
  }
  return client;
}

export async function createOrchestrator(options: RuntimeOptions): Promise<Orchestrator> {
  const remote = options.gateway ? gatewayClient(options) : undefined;
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
