/** React 19 with @lit/react: createComponent maps the element's events to typed React props. */
import { createComponent, type EventName } from '@lit/react';
import React from 'react';
import { createRoot } from 'react-dom/client';
import type { TierResponseEvent, TierRouteEvent } from 'tier-assist';
import { TierAssist } from 'tier-assist/tier-assist.js';
import { logResponse, logRoute, settings } from '../../shared/page-log.ts';

const Assist = createComponent({
  tagName: 'tier-assist',
  elementClass: TierAssist,
  react: React,
  events: {
    onTierRoute: 'tier-route' as EventName<TierRouteEvent>,
    onTierResponse: 'tier-response' as EventName<TierResponseEvent>,
  },
});

function App() {
  const { gateway, model, quality } = settings();
  return (
    <Assist
      gateway={gateway}
      model={model}
      quality={quality}
      conversationKey="packaging-react-lit"
      // `event` is typed from the EventName casts above (the package's event types).
      onTierRoute={(event) => logRoute('lit-react-prop', event)}
      onTierResponse={(event) => logResponse('lit-react-prop', event)}
    />
  );
}

createRoot(document.getElementById('root')!).render(<App />);
