/**
 * The gateway as a library, as a back end would mount it: createGateway(config) from the installed
 * package, one non-streaming chat completion through it to the provider stand-in whose base URL is
 * argv[2], printed as one JSON line `{health, status, text, tier}` for the harness.
 */
import { createGateway, type GatewayConfigInput } from 'tier-assist-gateway';

const baseUrl = process.argv[2];
if (!baseUrl) throw new Error('usage: gateway.ts <anthropic base URL of the provider stand-in>');

const config: GatewayConfigInput = {
  tiers: {
    mid: { provider: 'anthropic', model: 'claude-haiku-4-5', baseUrl, apiKey: 'sk-stand-in', maxTokens: 64 },
  },
};
const app = createGateway(config);

const health = await app.request('/healthz');
const response = await app.request('/v1/chat/completions', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ tier: 'mid', stream: false, messages: [{ role: 'user', content: 'Say hello' }] }),
});
const body = (await response.json()) as { choices?: { message?: { content?: string } }[]; tier?: string };
console.log(
  JSON.stringify({
    health: health.status,
    status: response.status,
    text: body.choices?.[0]?.message?.content ?? '',
    tier: body.tier ?? null,
  }),
);
