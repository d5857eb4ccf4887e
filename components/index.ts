export { TierAssist } from './tier-assist/tier-assist.ts';
