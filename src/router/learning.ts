/**
 * The learning half of the router (issue 15, docs/adr/0004-online-router.md): the online router, its
 * state, the compact features it learns from, and feedback records. A separate entry from
 * src/router/index.ts because it needs zod at run time; routing alone does not.
 */
export { createOnlineRouter } from './online.ts';
export type {
  CreateOnlineRouterOptions,
  LearnResult,
  OnlineDecideOptions,
  OnlineDecision,
  OnlineFeedback,
  OnlineRouter,
  RefitResult,
} from './online.ts';
export {
  DEFAULT_BUCKETS,
  onlineFeatures,
  onlineFeaturesFrom,
  type OnlineFeatures,
} from './online-features.ts';
export {
  DEFAULT_ONLINE_CONFIG,
  parseOnlineConfig,
  parseOnlineState,
  type OnlineConfig,
  type OnlineState,
} from './online-state.ts';
export {
  FEEDBACK_SIGNALS,
  MAX_FEEDBACK_BATCH,
  MAX_STORED_FEEDBACK,
  REASK_WINDOW_MS,
  feedbackRecord,
  outcomeOf,
  parseFeedbackBatch,
  parseFeedbackRecord,
  type FeedbackRecord,
  type FeedbackSignal,
} from './feedback.ts';
