/**
 * The cascade's request, policy and events (the cascade itself is cascade.ts). One cascade serves
 * every surface: `<tier-assist>` (through the orchestrator), the extension's rewrite and triage jobs
 * and LLM triage; each passes its own policy instead of carrying its own copy of the steps.
 */
import type { PrivacyPolicy, RemoteTier, TaskKind, Tier } from '../config/schemas.ts';
import type { ChatMessage, FinishReason, GenerateResult, JsonSchema } from '../engines/types.ts';
import type { LedgerEntry } from '../ledger/record.ts';
import type { RouteContext } from '../router/types.ts';
import type { AssistAnswer, AssistEvent, EscalationInfo } from './types.ts';

/** What to generate: a conversation, or the continuation of a text (a completion prefix). */
export type CascadeInput = { kind: 'chat'; messages: ChatMessage[] } | { kind: 'complete'; prefix: string };

export interface CascadeRequest {
  input: CascadeInput;
  /** The text the router and the verifier judge (the person's last message, the text to rewrite). */
  prompt: string;
  task: TaskKind;
  /** The answer must be one JSON value matching this schema (the verifier checks it too). */
  jsonSchema?: JsonSchema | undefined;
  signal?: AbortSignal | undefined;
  /** "Ask a bigger model": skip the router's tier and ask this one. */
  forceTier?: RemoteTier | undefined;
  /** Conversation facts for the router (turn, conversation tier, previous tier). */
  context?: Pick<RouteContext, 'turn' | 'conversationTier' | 'previousTier'> | undefined;
  maxTokens?: number | undefined;
  /** Called before an escalation; return false to keep the cheaper answer (the host vetoed). */
  beforeEscalate?: ((info: EscalationInfo) => boolean) | undefined;
  onEvent?: ((event: CascadeEvent) => void) | undefined;
}

/** How a surface wants the cascade to behave (the site's or the person's settings, plus the surface's habits). */
export interface CascadePolicy {
  quality: number;
  privacy: PrivacyPolicy;
  /** Tiers allowed to answer. */
  tiers: Tier[];
  /** Which surface asks (booked in the ledger, logged by the gateway). */
  surface: string;
  /**
   * `always`: the verifier checks every on-device answer (chat). `flagged`: only when the router
   * flags the request `cascade` (triage, classify); other on-device answers are kept as they are.
   */
  verify: 'always' | 'flagged';
  /** On a failure, try the other side (device -> mid, gateway -> device) with a note. Default true. */
  fallback?: boolean;
  /** `answer`: one ledger entry for the answer kept. `attempts`: one per model run (the device's too). */
  booking?: 'answer' | 'attempts';
  /** On-device context is small: keep only the last N turns there (default: all). */
  localHistoryTurns?: number;
}

/** One model run, local or remote, as the cascade saw it. */
export interface Attempt {
  text: string;
  tier: Tier;
  /** The model as shown to a person (an on-device model's label). */
  model: string;
  /** The model's id as booked in the ledger (the engine's id; the gateway's upstream model). */
  modelId: string;
  /** ms since the request started until the first delta (or the end, when nothing streamed). */
  ttftMs: number;
  finishReason: FinishReason;
  usage: { promptTokens: number; completionTokens: number };
  /** The engine's or the gateway's own timings of this run. */
  timings: { ttftMs: number; totalMs: number };
  /** USD: 0 on the device; for a remote run what the gateway reported (undefined when it did not). */
  costUsd: number | undefined;
  frontierCostUsd: number | undefined;
  logprobs?: GenerateResult['logprobs'];
  /** Personal data was replaced by placeholders before this run left the device. */
  redacted: boolean;
  /** Escalated from a cheaper tier (verifier reject or fallback). */
  escalated?: { from: Tier; reason: string };
}

interface Timed {
  /** ms since the request started. */
  atMs: number;
}

/**
 * Every step the cascade takes: the orchestrator's events (AssistEvent: privacy, route, attempt,
 * model-ready, first-token, delta, reset, verify, escalate, fallback, done, error) plus the end of
 * each model run, the redaction of what left the device, and each ledger booking.
 */
export type CascadeEvent =
  | AssistEvent
  | (Timed & { type: 'attempt-done'; attempt: Attempt })
  | (Timed & { type: 'redacted'; tier: RemoteTier; placeholders: number })
  | (Timed & { type: 'booked'; entry: LedgerEntry });

export type CascadeAnswer = AssistAnswer;
