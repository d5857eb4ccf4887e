/**
 * The wire contract between browsers (src/remote) and the gateway (src/server): OpenAI's chat
 * completions shape, except that the client names a `tier`, never a model, key or base URL.
 * Shared here (pure zod) so both sides parse the same schema.
 */
import { z } from 'zod';
import { GatewayTierSchema } from './schemas.ts';

export const WireMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().max(200_000),
});

export const GatewayRequestSchema = z
  .object({
    tier: GatewayTierSchema,
    messages: z.array(WireMessageSchema).min(1).max(200),
    stream: z.boolean().optional().default(false),
    max_tokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).optional(),
    response_format: z
      .object({ type: z.enum(['text', 'json_object', 'json_schema']), json_schema: z.unknown().optional() })
      .optional(),
    /** Which surface asked (for usage records): 'component', 'extension', 'triage'... */
    surface: z.string().max(40).optional(),
    /** The router's decision reason, logged with usage. */
    reason: z.string().max(300).optional(),
  })
  .loose();
export type GatewayRequest = z.infer<typeof GatewayRequestSchema>;

/** Extra fields the gateway adds to the final SSE chunk / the non-streaming body. */
export const TierAssistMetaSchema = z.object({
  tier: GatewayTierSchema,
  model: z.string(),
  costUsd: z.number(),
  /** Cost of the same token counts on the frontier tier (for savings). */
  frontierCostUsd: z.number(),
  fallbackFrom: GatewayTierSchema.optional(),
  latencyMs: z.number().optional(),
});
export type TierAssistMeta = z.infer<typeof TierAssistMetaSchema>;

export const UsageSchema = z.object({
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  total_tokens: z.number().optional(),
});

/** The JSON error body every 4xx/5xx carries. */
export const GatewayErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    type: z.string().optional(),
    setting: z.string().optional(),
  }),
});
export type GatewayErrorBody = z.infer<typeof GatewayErrorBodySchema>;
