/**
 * The assistant orchestrator used by `<tier-assist>`:
 *
 * ```ts
 * const assist = new Orchestrator({ route, verifyAnswer, localEngine, localAvailable, remote, ledger }, settings);
 * const answer = await assist.ask({ text, history, signal, onEvent });
 * ```
 */
export { Orchestrator, DEFAULT_SETTINGS } from './orchestrator.ts';
export type * from './types.ts';
