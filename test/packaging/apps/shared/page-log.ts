/**
 * What every scratch app shares: the element's settings from the page's query string (the harness
 * decides the gateway and model URLs at run time), and `window.tierLog`, where each app's framework
 * handler writes what it read from the event detail. The harness reads the log; the fields are read
 * with the types the package promises (a wrong field fails `tsc`, see ../negative).
 */
import type { TierResponseEvent, TierRouteEvent } from 'tier-assist';

type Tier = 'local' | 'mid' | 'frontier';

export interface LogEntry {
  /** Which framework path delivered the event (e.g. "react-prop", "vue-on", "addEventListener"). */
  via: string;
  type: 'tier-route' | 'tier-response';
  tier: Tier;
  text: string;
  costUsd: number | null;
}

declare global {
  interface Window {
    tierLog: LogEntry[];
  }
}

window.tierLog = [];

/** Refuses an `any` (0 extends 1 & T only when T is `any`: then a second argument of type never is due). */
const typed = <T>(value: T, ..._notAny: 0 extends 1 & T ? [never] : []): T => value;

export function logRoute(via: string, event: TierRouteEvent): void {
  const tier: Tier = typed(event.detail.decision.tier);
  const reason: string = typed(event.detail.decision.reason);
  window.tierLog.push({ via, type: 'tier-route', tier, text: reason, costUsd: null });
}

export function logResponse(via: string, event: TierResponseEvent): void {
  const tier: Tier = typed(event.detail.answer.tier);
  const text: string = typed(event.detail.answer.text);
  const costUsd: number = typed(event.detail.answer.costUsd);
  window.tierLog.push({ via, type: 'tier-response', tier, text, costUsd });
}

/** The element's settings: `?gateway=<url>&model=<gguf url>` (set by the harness). */
export function settings(): { gateway: string; model: string; quality: string } {
  const query = new URLSearchParams(location.search);
  return {
    gateway: query.get('gateway') ?? '',
    model: query.get('model') ?? '',
    quality: query.get('quality') ?? '0.9',
  };
}
