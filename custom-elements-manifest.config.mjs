/**
 * `npm run manifest`: custom-elements.json from the elements' JSDoc (@summary, @slot, @event,
 * @csspart, @cssproperty) and their lit `static properties`.
 */

/** Keep only the documented `tier-*` events (drops `dispatchEvent(new CustomEvent(type))` helpers). */
function documentedEventsOnly() {
  return {
    name: 'tier-documented-events-only',
    packageLinkPhase({ customElementsManifest }) {
      for (const mod of customElementsManifest.modules ?? []) {
        for (const declaration of mod.declarations ?? []) {
          if (declaration.events)
            declaration.events = declaration.events.filter((e) => e.name?.startsWith('tier-'));
        }
      }
    },
  };
}

export default {
  globs: ['components/*/tier-*.ts'],
  exclude: ['**/*.test.ts', '**/*.styles.ts', 'components/shared/**'],
  outdir: '.',
  litelement: true,
  dev: false,
  plugins: [documentedEventsOnly()],
};
