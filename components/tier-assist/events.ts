/** The events <tier-assist> fires (all bubble and are composed): names and detail shapes are public API. */
import type { AssistAnswer, AssistEvent } from '../../src/assist/types.ts';
import type { Tier } from '../../src/config/schemas.ts';
import type { TierError } from '../../src/errors.ts';
import type { FeedbackSignal } from '../../src/router/feedback.ts';
import type { Decision } from '../../src/router/types.ts';
import type { DownloadProgress } from '../shared/engine-controller.ts';

export interface TierRouteDetail {
  text: string;
  decision: Decision;
}
export interface TierResponseDetail {
  answer: AssistAnswer;
  /** Every orchestrator step with its timing (ms since the request started). */
  steps: AssistEvent[];
}
export interface TierEscalateDetail {
  from: 'local' | 'mid' | 'frontier';
  to: 'mid' | 'frontier';
  reason: string;
}
export interface TierErrorDetail {
  error: TierError;
  code: TierError['code'];
  /** The attribute at fault, for attribute errors. */
  attribute?: string;
  /** The setting to add, for not_configured errors from the gateway. */
  setting?: string;
}

export interface TierFeedbackDetail {
  /** What the person (or the verifier) said about the answer; no text is recorded. */
  signal: FeedbackSignal;
  /** The tier whose answer it is about. */
  tier: Tier;
}
export interface TierRouterRollbackDetail {
  /** The serving router version after the rollback. */
  version: number;
  /** Rollbacks so far in this browser. */
  rollbacks: number;
}

/** Event name -> detail, for the element's typed `#emit`. */
export interface TierAssistEventMap {
  'tier-route': TierRouteDetail;
  'tier-response': TierResponseDetail;
  'tier-escalate': TierEscalateDetail;
  'tier-after-escalate': TierEscalateDetail;
  'tier-error': TierErrorDetail;
  'tier-model-progress': DownloadProgress;
  'tier-feedback': TierFeedbackDetail;
  'tier-router-rollback': TierRouterRollbackDetail;
}

export type TierRouteEvent = CustomEvent<TierRouteDetail>;
export type TierResponseEvent = CustomEvent<TierResponseDetail>;
export type TierEscalateEvent = CustomEvent<TierEscalateDetail>;
export type TierErrorEvent = CustomEvent<TierErrorDetail>;
export type TierModelProgressEvent = CustomEvent<DownloadProgress>;
export type TierFeedbackEvent = CustomEvent<TierFeedbackDetail>;
export type TierRouterRollbackEvent = CustomEvent<TierRouterRollbackDetail>;

declare global {
  interface GlobalEventHandlersEventMap {
    'tier-route': TierRouteEvent;
    'tier-response': TierResponseEvent;
    'tier-escalate': TierEscalateEvent;
    'tier-after-escalate': TierEscalateEvent;
    'tier-error': TierErrorEvent;
    'tier-model-progress': TierModelProgressEvent;
    'tier-feedback': TierFeedbackEvent;
    'tier-router-rollback': TierRouterRollbackEvent;
  }
}
