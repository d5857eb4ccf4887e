import { z } from 'zod';

/** The three tiers a request can be answered on. */
export const TierSchema = z.enum(['local', 'mid', 'frontier']);
export type Tier = z.infer<typeof TierSchema>;

/** Tiers the gateway serves (the browser serves `local` itself). */
export const RemoteTierSchema = z.enum(['mid', 'frontier']);
export type RemoteTier = z.infer<typeof RemoteTierSchema>;

/** Tiers a gateway can answer on: the remote tiers, and `small` (a self-hosted model) where configured. */
export const GatewayTierSchema = z.enum(['small', 'mid', 'frontier']);
export type GatewayTier = z.infer<typeof GatewayTierSchema>;

/** What happens to personal data before a request leaves the device. */
export const PrivacyPolicySchema = z.enum(['allow', 'redact', 'local-only']);
export type PrivacyPolicy = z.infer<typeof PrivacyPolicySchema>;

/** Kinds of task the router treats differently. */
export const TaskKindSchema = z.enum(['chat', 'autocomplete', 'rewrite', 'classify', 'triage', 'extract']);
export type TaskKind = z.infer<typeof TaskKindSchema>;

/** One quality knob per site: 0 = cheapest acceptable, 1 = always the best tier. */
export const QualitySchema = z.number().min(0).max(1);

/** An absolute http(s) URL. */
export const HttpUrlSchema = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an absolute http:// or https:// URL');
