/**
 * A plain Vite app: each element from its own subpath of the package, <tier-assist>'s events through
 * addEventListener. <tier-triage> and <tier-savings> are there to show that their entries register too.
 */
import 'tier-assist/tier-assist.js';
import 'tier-assist/tier-savings.js';
import 'tier-assist/tier-triage.js';
import { logResponse, logRoute, settings } from '../../shared/page-log.ts';

const { gateway, model, quality } = settings();
const element = document.createElement('tier-assist');
element.gateway = gateway;
element.model = model;
element.quality = quality;
element.conversationKey = 'packaging-vite';
// The listener's event type comes from the package's GlobalEventHandlersEventMap, not from an annotation.
element.addEventListener('tier-route', (event) => logRoute('addEventListener', event));
element.addEventListener('tier-response', (event) => logResponse('addEventListener', event));
document
  .querySelector('#app')!
  .append(element, document.createElement('tier-triage'), document.createElement('tier-savings'));
