/**
 * Popup: engine status (model, loaded or not, WebGPU or wasm; once loaded, where it runs and the speed
 * this device measured), the on/off switch for the current site, and today's requests by tier with the
 * money saved.
 */
import { html, render } from 'lit';
import { engineRunLine } from '../../components/shared/engine-controller.ts';
import '../../components/tier-savings/tier-savings.ts';
import { DEFAULT_LEDGER_NAME, formatUsd } from '../../src/ledger/index.ts';
import { request, type EngineStatus, type TodayStats } from '../shared/messaging.ts';

const app = document.getElementById('app')!;
app.textContent = '';

interface View {
  status: EngineStatus | undefined;
  stats: TodayStats | undefined;
  origin: string | undefined;
  enabled: boolean | undefined;
  error: string | undefined;
  downloadAllowed: boolean;
}
const view: View = {
  status: undefined,
  stats: undefined,
  origin: undefined,
  enabled: undefined,
  error: undefined,
  downloadAllowed: false,
};

function engineLine(s: EngineStatus | undefined) {
  if (!s) return 'Checking the engine…';
  const where = s.kind === 'webllm' ? 'WebGPU' : s.kind === 'wasm' ? 'WebAssembly (CPU)' : 'not chosen yet';
  const state =
    s.state === 'ready'
      ? 'loaded'
      : s.state === 'loading'
        ? `loading ${Math.round(s.progress * 100)}%`
        : s.state === 'error'
          ? `failed: ${s.error ?? 'unknown error'}`
          : view.downloadAllowed
            ? 'not loaded (loads on first use)'
            : 'not downloaded: "Load model now" downloads it (nothing is suggested until then)';
  return html`<span data-field="model">${s.model?.label ?? 'No model loaded'}</span> ·
    <span data-field="state">${state}</span> · <span data-field="runtime">${where}</span> ·
    <span data-field="webgpu">WebGPU ${s.webgpu ? 'available' : 'unavailable'}</span>`;
}

/** Once a model is loaded: where it runs (CPU threads, GPU layers), its measured speed, and why this model. */
function placementLine(s: EngineStatus | undefined) {
  if (!s?.model || s.state !== 'ready') return null;
  const run = engineRunLine(s.model.label, s.placement, s.speed, s.kind === 'webllm');
  return html`<p id="placement">
      <span data-field="where">${run.where}</span> · <span data-field="speed">${run.speed}</span>
    </p>
    ${run.note ? html`<p data-field="note">${run.note}</p>` : null}
    ${s.reason ? html`<p data-field="reason">Chosen for this device: ${s.reason}</p>` : null}`;
}

function draw(): void {
  const stats = view.stats;
  render(
    html`<h1>tier-assist</h1>
      <section aria-label="Engine">
        <h2>Engine</h2>
        <p id="engine">${engineLine(view.status)}</p>
        ${placementLine(view.status)}
        <button id="load" @click=${load}>Load model now</button>
      </section>
      <section aria-label="This site">
        <h2>This site</h2>
        ${
          view.origin
            ? html`<label
                ><input id="site" type="checkbox" .checked=${view.enabled ?? true} @change=${toggle} />
                Suggestions on ${view.origin}</label
              >`
            : html`<p>Suggestions run on http(s) pages.</p>`
        }
      </section>
      <section aria-label="Today">
        <h2>Today</h2>
        ${
          stats
            ? html`<dl id="today">
                <dt>On this device</dt>
                <dd data-tier="local">${stats.byTier.local}</dd>
                <dt>Mid tier</dt>
                <dd data-tier="mid">${stats.byTier.mid}</dd>
                <dt>Frontier tier</dt>
                <dd data-tier="frontier">${stats.byTier.frontier}</dd>
                <dt>Saved vs all-frontier</dt>
                <dd data-field="saved">${formatUsd(stats.savedUsd)}</dd>
                <dt>Spent</dt>
                <dd data-field="spent">${formatUsd(stats.spentUsd)}</dd>
              </dl>`
            : html`<p>…</p>`
        }
      </section>
      <details id="dashboard">
        <summary>Savings dashboard</summary>
        <tier-savings ledger-name=${DEFAULT_LEDGER_NAME}></tier-savings>
      </details>
      ${view.error ? html`<p role="alert">${view.error}</p>` : null}
      <p><a href="../options/index.html" target="_blank">Options</a></p>`,
    app,
  );
}

const fail = (error: unknown) => {
  view.error = error instanceof Error ? error.message : String(error);
  draw();
};

async function load(): Promise<void> {
  view.status = { ...(view.status ?? ({} as EngineStatus)), state: 'loading', progress: 0 };
  draw();
  const timer = setInterval(() => void request('status', {}).then((s) => ((view.status = s), draw())), 500);
  try {
    view.status = await request('load', {});
    view.downloadAllowed = true;
  } catch (error) {
    fail(error);
  } finally {
    clearInterval(timer);
  }
  draw();
}

async function toggle(event: Event): Promise<void> {
  const enabled = (event.target as HTMLInputElement).checked;
  if (!view.origin) return;
  try {
    view.enabled = (await request('site.set', { origin: view.origin, enabled })).enabled;
  } catch (error) {
    fail(error);
  }
  draw();
}

async function start(): Promise<void> {
  draw();
  const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true }).catch(() => []);
  const url = new URLSearchParams(location.search).get('url') ?? tab?.url;
  if (url && /^https?:/.test(url)) view.origin = new URL(url).origin;
  const [status, stats, site, settings] = await Promise.all([
    request('status', {}),
    request('stats.today', {}),
    view.origin ? request('site.get', { origin: view.origin }) : Promise.resolve(undefined),
    request('settings.get', {}),
  ]);
  Object.assign(view, {
    status,
    stats,
    enabled: site?.enabled,
    downloadAllowed: settings.model.downloadAllowed,
  });
  draw();
}

start().catch(fail);
