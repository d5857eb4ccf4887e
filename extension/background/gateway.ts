/**
 * Escalation to the user's own gateway (the only place the extension sends text off the device,
 * and only for rewrite/triage when the router says so). Speaks the gateway wire contract
 * (src/config/gateway.ts): the client names a tier, never a model or key.
 */
import { z } from 'zod';
import {
  GatewayErrorBodySchema,
  GatewayRequestSchema,
  TierAssistMetaSchema,
  UsageSchema,
  parse,
  type RemoteTier,
} from '../../src/config/index.ts';
import type { ChatMessage } from '../../src/engines/types.ts';
import { deserializeError, NetworkError, NotConfiguredError, UpstreamError } from '../../src/errors.ts';

const ResponseSchema = z
  .object({
    model: z.string().optional(),
    choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
    usage: UsageSchema.optional(),
    tier_assist: TierAssistMetaSchema.optional(),
  })
  .loose();

export interface Escalated {
  text: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
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
      {
        data: { setting: 'gateway.url' },
      },
    );
  const body = parse(
    GatewayRequestSchema,
    { tier, messages, stream: false, surface: 'extension', reason: options.reason.slice(0, 300) },
    'gateway request',
  );
  let response: Response;
  try {
    response = await (options.fetchImpl ?? fetch)(new URL('/v1/chat/completions', gateway.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(gateway.token ? { authorization: `Bearer ${gateway.token}` } : {}),
      },
      body: JSON.stringify(body),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    throw new NetworkError(
      `Could not reach the gateway at ${gateway.url}. Check the URL in the options and your connection.`,
      {
        cause: error,
      },
    );
  }
  const json: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const parsed = GatewayErrorBodySchema.safeParse(json);
    if (parsed.success)
      throw deserializeError({
        ...parsed.data.error,
        data: { status: response.status, setting: parsed.data.error.setting },
      });
    throw new UpstreamError(`The gateway answered HTTP ${response.status}.`, {
      data: { status: response.status },
    });
  }
  const ok = parse(ResponseSchema, json, 'gateway response');
  const meta = ok.tier_assist;
  return {
    text: ok.choices[0]!.message.content ?? '',
    model: meta?.model ?? ok.model ?? tier,
    inputTokens: ok.usage?.prompt_tokens ?? 0,
    outputTokens: ok.usage?.completion_tokens ?? 0,
    costUsd: meta?.costUsd ?? 0,
    frontierCostUsd: meta?.frontierCostUsd,
  };
}
