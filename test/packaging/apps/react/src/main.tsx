/**
 * React 19 without @lit/react: React 19 passes props to a custom element as properties and turns an
 * `on<event-name>` function prop into a listener for that event; a ref + addEventListener works too.
 * This app uses both (tier-route through the ref, tier-response through the prop).
 */
import { useEffect, useRef, type HTMLAttributes } from 'react';
import { createRoot } from 'react-dom/client';
import type { TierAssist, TierResponseEvent } from 'tier-assist';
import 'tier-assist/tier-assist.js';
import { logResponse, logRoute, settings } from '../../shared/page-log.ts';

// What a React app declares once to write <tier-assist> in TSX: its properties and the events it listens to.
declare module 'react' {
  namespace JSX {
    interface IntrinsicElements {
      'tier-assist': HTMLAttributes<TierAssist> & {
        ref?: React.Ref<TierAssist>;
        gateway?: string;
        model?: string;
        quality?: string;
        conversationKey?: string;
        'ontier-response'?: (event: TierResponseEvent) => void;
      };
    }
  }
}

function App() {
  const { gateway, model, quality } = settings();
  const ref = useRef<TierAssist>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element) return undefined;
    // Typed by the package's GlobalEventHandlersEventMap: no annotation on `event`.
    const onRoute = (event: HTMLElementEventMap['tier-route']) => logRoute('react-ref', event);
    element.addEventListener('tier-route', onRoute);
    return () => element.removeEventListener('tier-route', onRoute);
  }, []);
  return (
    <tier-assist
      ref={ref}
      gateway={gateway}
      model={model}
      quality={quality}
      conversationKey="packaging-react"
      ontier-response={(event) => logResponse('react-prop', event)}
    />
  );
}

createRoot(document.getElementById('root')!).render(<App />);
