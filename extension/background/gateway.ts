/**
 * The user's own gateway, the only place the extension sends text off the device (rewrites the
 * router or the verifier send there, triage fields the device is unsure of), through src/remote's
 * one client factory: the client names a tier, never a model or key; errors arrive typed.
 */
import type { RemoteChat } from '../../src/assist/types.ts';
import { gatewayClient } from '../../src/remote/index.ts';
import type { Settings } from '../shared/settings.ts';

/** The client for the gateway in the settings; undefined when no gateway URL is set. */
export function gatewayFor(gateway: Settings['gateway']): RemoteChat | undefined {
  if (!gateway.url) return undefined;
  return gatewayClient({ gateway: gateway.url, token: gateway.token, surface: 'extension' });
}
