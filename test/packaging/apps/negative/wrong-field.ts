/**
 * Must NOT type-check: reads a field the event detail does not have. The harness type-checks this file
 * with the other apps (apps/tsconfig.json) and expects exactly one error in it, TS2339 on `tierName`;
 * if it compiles, the packed event types are `any` or missing and the apps' type checks prove nothing.
 */
import 'tier-assist/tier-assist.js';

const element = document.createElement('tier-assist');
element.addEventListener('tier-route', (event) => {
  const tier: string = event.detail.decision.tierName;
  console.log(tier);
});
