/**
 * What `model: "auto"` decided for one request, as it goes out in the response (`tier_assist.route`) and
 * into the usage record (`route`): the router's own decision (the browser's Decision: tier, reason,
 * scores, flags), the gateway tier it maps to, and what the cascade verifier said of a small answer.
 * Its own file (zod only) so the usage log's schema does not pull in the router.
 */
import { z } from 'zod';
import { GatewayTierSchema, TierSchema } from '../config/index.ts';

export const AutoRouteSchema = z.object({
  /** The gateway tier decided (the router's `local` is `small`, or `mid` without one); kept on escalation. */
  tier: GatewayTierSchema,
  /** The router's tier, as the browser would have seen it. */
  routerTier: TierSchema,
  /** The router's reason, plus the gateway's mapping when it changed the tier. */
  reason: z.string(),
  /** P(on-device acceptable), P(mid acceptable). */
  scores: z.object({ local: z.number(), mid: z.number() }),
  flags: z.array(z.string()),
  /** The quality knob the decision used. */
  quality: z.number(),
  /** The cascade verifier's verdict on the small tier's answer (only when small answered first). */
  verdict: z.object({ accept: z.boolean(), reason: z.string() }).optional(),
  /**
   * Set on the answer of an escalated request (as the browser's `escalated: {from, reason}`): the small
   * answer was rejected by the verifier, or small failed, and `to` answered instead.
   */
  escalated: z.object({ from: GatewayTierSchema, to: GatewayTierSchema, reason: z.string() }).optional(),
});
export type AutoRoute = z.infer<typeof AutoRouteSchema>;
