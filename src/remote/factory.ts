/**
 * The one way the surfaces get a gateway client (`<tier-assist>`'s runtime, `<tier-triage>`, the
 * extension's background and side panel): the gateway setting (an absolute URL, or a path on this
 * origin) is resolved the same way everywhere, and one client is kept per gateway, credentials and
 * surface, so a token minted from a token endpoint is reused until it nears expiry.
 */
import { GatewayClient } from './client.ts';

export interface GatewayClientSpec {
  /** The gateway setting: an absolute URL, or a path on this page's origin ('/', '/gw'). */
  gateway: string;
  /** A token minted by the site's backend (`Authorization: Bearer`). */
  token?: string | undefined;
  /** A same-origin URL that mints tokens (`POST`, answers `{token, expiresAt?}`). */
  tokenEndpoint?: string | undefined;
  /** Which surface asks (logged by the gateway with usage). */
  surface: string;
  /** A fetch to use instead of the global one (tests, service workers). Never cached. */
  fetch?: typeof fetch;
}

/** Resolve a gateway setting (absolute URL or a path on this origin) to a base URL without a trailing slash. */
export function gatewayUrl(gateway: string): string {
  return new URL(gateway, globalThis.location?.href ?? 'http://localhost/').href.replace(/\/+$/, '');
}

const clients = new Map<string, GatewayClient>();

/** The client for a gateway; the same instance for the same gateway, credentials and surface. */
export function gatewayClient(spec: GatewayClientSpec): GatewayClient {
  const url = gatewayUrl(spec.gateway);
  const make = () =>
    new GatewayClient({
      url,
      ...(spec.token ? { token: spec.token } : {}),
      ...(spec.tokenEndpoint ? { tokenEndpoint: spec.tokenEndpoint } : {}),
      surface: spec.surface,
      ...(spec.fetch ? { fetch: spec.fetch } : {}),
    });
  if (spec.fetch) return make();
  const key = JSON.stringify([url, spec.token ?? '', spec.tokenEndpoint ?? '', spec.surface]);
  let client = clients.get(key);
  if (!client) {
    client = make();
    clients.set(key, client);
  }
  return client;
}
