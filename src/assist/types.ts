import type { PrivacyPolicy, RemoteTier, TaskKind, Tier } from '../config/schemas.ts';
import type { LedgerEntry } from '../ledger/record.ts';
import type { ChatMessage, EngineCapabilities, LocalEngine, TextStream } from '../engines/types.ts';
import type { PiiKind } from '../privacy/index.ts';
import type { RemoteChatRequest, RemoteResult } from '../remote/index.ts';
import type { Decision, RouteContext } from '../router/types.ts';
import type { FeedbackSignal } from '../router/feedback.ts';
import type { OnlineFeatures } from '../router/online-features.ts';
import type { TierError } from '../errors.ts';

/** The router's verdict on an answer (same shape as src/router's `Verdict`). */
export interface AssistVerdict {
  accept: boolean;
  reason: string;
  signals: Record<string, number | boolean>;
}

export interface AssistVerifyInput {
  text: string;
  finishReason: 'stop' | 'length' | 'abort';
  logprobs?: { token: string; logprob: number }[];
  task?: TaskKind;
  prompt?: string;
  /** The answer must match this JSON schema (triage). */
  jsonSchema?: object;
}

/** Anything that can answer on a remote tier (the GatewayClient, or a test double of it). */
export interface RemoteChat {
  chat(request: RemoteChatRequest, options?: { signal?: AbortSignal }): TextStream<RemoteResult>;
}

/** Where a ledger entry goes (src/ledger's Ledger implements it). */
export interface LedgerSink {
  record(entry: LedgerEntry): Promise<unknown>;
}

/** What the cascade needs of an on-device engine (any LocalEngine, or a thin adapter over one). */
export type CascadeEngine = Pick<LocalEngine, 'chat' | 'complete'> &
  Partial<Pick<LocalEngine, 'model'>> & { capabilities: Pick<EngineCapabilities, 'logprobs'> };

/**
 * What a feedback record needs of the decision behind an answer (issue 15): the router's compact
 * features (no text), the decision's propensity and the serving version.
 */
export interface LearningTag {
  features: OnlineFeatures;
  propensity: number;
  version?: number;
}

/** A router that learns from feedback (src/assist/learning.ts's Learner). */
export interface RouteLearner {
  route(text: string, context?: RouteContext): { decision: Decision; tag: LearningTag };
  /** Record (and learn from) what happened after an answer of `tier`. */
  record(signal: FeedbackSignal, tier: Tier, tag: LearningTag, task?: TaskKind): Promise<unknown>;
}

export interface AssistDeps {
  route(text: string, context?: RouteContext): Decision;
  /** When given, decides instead of `route` and records the verifier's verdict on on-device answers. */
  learner?: RouteLearner | undefined;
  verifyAnswer(input: AssistVerifyInput): AssistVerdict;
  /**
   * The on-device engine, ready to generate; undefined when none is ready (no consent yet, the device
   * cannot run one). May throw a typed error (device lost, out of memory...).
   */
  localEngine(): Promise<CascadeEngine | undefined>;
  /** Whether an on-device engine is ready or can be made ready without asking (for the router). */
  localAvailable(): boolean;
  /** The gateway; undefined when the element has no `gateway` attribute. */
  remote: RemoteChat | undefined;
  ledger?: LedgerSink | undefined;
}

export interface AssistSettings {
  quality: number;
  privacy: PrivacyPolicy;
  tiers: Tier[];
  systemPrompt: string;
  maxTokens: number;
}

export interface AssistRequest {
  text: string;
  /** Earlier turns, oldest first (what the person saw, never redacted). */
  history: ChatMessage[];
  signal?: AbortSignal;
  /** "Ask a bigger model": skip the router and ask this tier. */
  forceTier?: RemoteTier;
  /** The tier of the previous answer (for "Ask a bigger model"). */
  previousTier?: Tier;
  conversationTier?: Tier;
  onEvent?: (event: AssistEvent) => void;
  /** Called before an escalation; return false to keep the cheaper answer (the host vetoed). */
  beforeEscalate?: (info: EscalationInfo) => boolean;
}

export interface EscalationInfo {
  from: Tier;
  to: RemoteTier;
  reason: string;
  /** The answer that is being replaced. */
  rejectedText: string;
}

export interface AssistAnswer {
  text: string;
  tier: Tier;
  model: string;
  decision: Decision;
  /** ms from request to the first visible token of the answer that was kept. */
  ttftMs: number;
  /** ms from request to the end of the answer. */
  latencyMs: number;
  costUsd: number;
  frontierCostUsd: number | undefined;
  usage: { promptTokens: number; completionTokens: number };
  finishReason: 'stop' | 'length' | 'abort';
  escalatedFrom?: Tier;
  escalationReason?: string;
  /** Human notes shown with the answer (fallbacks, redaction, vetoed escalation). */
  notes: string[];
  /** Personal data found in the request (kinds only). */
  pii: PiiKind[];
  redacted: boolean;
  /** What feedback on this answer must carry (present when a learner decided the route). */
  learning?: LearningTag;
}

interface Timed {
  /** ms since the request started. */
  atMs: number;
}

export type AssistEvent =
  | (Timed & { type: 'privacy'; action: 'send' | 'redact' | 'local-only'; kinds: PiiKind[] })
  | (Timed & { type: 'route'; decision: Decision; durationMs: number })
  | (Timed & { type: 'attempt'; tier: Tier; model?: string | undefined })
  | (Timed & { type: 'model-ready'; tier: 'local'; durationMs: number; model: string })
  | (Timed & { type: 'first-token'; tier: Tier })
  | (Timed & { type: 'delta'; tier: Tier; text: string })
  | (Timed & { type: 'reset'; tier: Tier })
  | (Timed & { type: 'verify'; verdict: AssistVerdict; durationMs: number })
  | (Timed & { type: 'escalate'; from: Tier; to: RemoteTier; reason: string; vetoed: boolean })
  | (Timed & { type: 'fallback'; from: Tier; to: Tier; note: string; error: TierError })
  | (Timed & { type: 'done'; answer: AssistAnswer })
  | (Timed & { type: 'error'; error: TierError });

/** Engine selection and caching live in src/engines/local-provider.ts; re-exported for the components. */
export type { LocalEngineProvider, LocalModelProbe } from '../engines/local-provider.ts';
