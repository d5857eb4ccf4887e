/** The events <tier-assist> fires (all bubble and are composed): names and detail shapes are public API. */
import type { AssistAnswer, AssistEvent } from '../../src/assist/types.ts';
import type { TierError } from '../../src/errors.ts';
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

/** Event name -> detail, for the element's typed `#emit`. */
export interface TierAssistEventMap {
  'tier-route': TierRouteDetail;
  'tier-response': TierResponseDetail;
  'tier-escalate': TierEscalateDetail;
  'tier-after-escalate': TierEscalateDetail;
  'tier-error': TierErrorDetail;
  'tier-model-progress': DownloadProgress;
}

export type TierRouteEvent = CustomEvent<TierRouteDetail>;
export type TierResponseEvent = CustomEvent<TierResponseDetail>;
export type TierEscalateEvent = CustomEvent<TierEscalateDetail>;
export type TierErrorEvent = CustomEvent<TierErrorDetail>;
export type TierModelProgressEvent = CustomEvent<DownloadProgress>;

declare global {
  interface GlobalEventHandlersEventMap {
    'tier-route': TierRouteEvent;
    'tier-response': TierResponseEvent;
    'tier-escalate': TierEscalateEvent;
    'tier-after-escalate': TierEscalateEvent;
    'tier-error': TierErrorEvent;
    'tier-model-progress': TierModelProgressEvent;
  }
}
