/** A plain Vite app: the element from the package's subpath, events through addEventListener. */
import 'tier-assist/tier-assist.js';
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
document.querySelector('#app')!.append(element);
