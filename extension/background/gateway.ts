/**
 * Escalation to the user's own gateway (the only place the extension sends text off the device, and
 * only for rewrite/triage when the router says so), through src/remote's GatewayClient: the client
 * names a tier, never a model or key; errors arrive typed.
 */
import type { RemoteTier } from '../../src/config/index.ts';
import type { ChatMessage } from '../../src/engines/types.ts';
import { NotConfiguredError } from '../../src/errors.ts';
import { GatewayClient } from '../../src/remote/index.ts';

export interface Escalated {
  text: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | undefined;
  frontierCostUsd: number | undefined;
}

export async function escalate(
  gateway: { url: string; token: string },
  tier: RemoteTier,
  messages: ChatMessage[],
  options: { reason: string; signal?: AbortSignal; fetchImpl?: typeof fetch },
): Promise<Escalated> {
  if (!gateway.url)
    throw new NotConfiguredError(
      'No gateway is configured. Add its URL in the tier-assist options to use bigger models.',
      { data: { setting: 'gateway.url' } },
    );
  const client = new GatewayClient({
    url: gateway.url,
    ...(gateway.token ? { token: gateway.token } : {}),
    surface: 'extension',
    ...(options.fetchImpl ? { fetch: options.fetchImpl } : {}),
  });
  const stream = client.chat(
    { tier, messages, reason: options.reason.slice(0, 300) },
    options.signal ? { signal: options.signal } : {},
  );
  const result = await stream.result;
  return {
    text: result.text,
    model: result.meta?.model ?? result.model,
    inputTokens: result.usage.promptTokens,
    outputTokens: result.usage.completionTokens,
    costUsd: result.meta?.costUsd,
    frontierCostUsd: result.meta?.frontierCostUsd,
  };
}
