/** The elements and what hosts use with them (types of events, the engine controller). */
export { TierAssist } from './tier-assist/tier-assist.ts';
export type * from './tier-assist/events.ts';
export { EngineController } from './shared/engine-controller.ts';
export type { EngineState, DownloadProgress } from './shared/engine-controller.ts';
export { TierSavings } from './tier-savings/tier-savings.ts';
export { TierTriage } from './tier-triage/tier-triage.ts';
export type {
  TriageRecord,
  TriageProgressDetail,
  TriageCorrectDetail,
  TriageRetrainDetail,
} from './tier-triage/tier-triage.ts';
