/**
 * Who is asking: set on the context by the access middleware (middleware/access.ts), read by the rate
 * limits and the chat handler. A type of its own so handlers never import middleware internals.
 */
import type { Site } from './config.ts';

export interface Principal {
  site: string;
  siteConfig: Site | undefined;
  user: string | undefined;
  ip: string;
  origin: string | undefined;
  via: 'site-token' | 'user-token' | 'local';
}

export type GatewayEnv = { Variables: { principal: Principal } };
