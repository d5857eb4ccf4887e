/**
 * The on-device model panel of <tier-assist> (`part="engine"`): one small template per engine state
 * (probe offer, verdict, consent with the download size, progress with ETA, placement and speed, load
 * error). Pure view: it reads the EngineController's state and calls back for the buttons.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { LocalModelProbe } from '../../src/assist/types.ts';
import { engineRunLine, type EngineController, type EngineState } from '../shared/engine-controller.ts';
import { formatBytes, formatDuration } from '../shared/format.ts';

type Of<S extends EngineState['status']> = Extract<EngineState, { status: S }>;

const modelLabel = (probe: LocalModelProbe | undefined, fallback: string): string =>
  probe?.model?.label ?? fallback;

function unsupported(s: Of<'unsupported'>, hasGateway: boolean): TemplateResult {
  const remote = hasGateway
    ? 'Questions go to the gateway instead.'
    : 'Set a gateway to answer on a bigger model.';
  return html`<p class="warn">This device cannot run an on-device model: ${s.probe.verdict} ${remote}</p>
    ${
      s.probe.rejected.length > 0
        ? html`<details>
            <summary>Why</summary>
            <ul>
              ${s.probe.rejected.map((r) => html`<li>${r}</li>`)}
            </ul>
          </details>`
        : nothing
    }`;
}

function consent(s: Of<'consent'>, engine: EngineController): TemplateResult {
  const size = formatBytes(s.probe.model?.sizeBytes ?? 0);
  return html`<p>${s.probe.verdict}</p>
    <p>
      Model: <strong>${modelLabel(s.probe, 'on-device model')}</strong>, ${size} download, kept on this
      device.
    </p>
    <button part="button consent-button" class="primary" type="button" @click=${() => void engine.accept()}>
      Download on-device model (${size})
    </button>`;
}

function downloading(s: Of<'downloading'>, engine: EngineController): TemplateResult {
  const p = s.progress;
  const total = p.totalBytes || s.probe.model?.sizeBytes || 0;
  const label =
    p.phase === 'compile' ? 'Preparing the model' : p.fromCache ? 'Loading from this device' : 'Downloading';
  return html`<p id="progress-label">${label} ${modelLabel(s.probe, '')}</p>
    <progress
      part="progress"
      aria-labelledby="progress-label"
      max=${total || 1}
      value=${Math.min(p.loadedBytes, total || 1)}
    ></progress>
    <p class="muted">
      ${formatBytes(p.loadedBytes)} of
      ${formatBytes(total)}${
        p.etaSeconds !== undefined ? html` · about ${formatDuration(p.etaSeconds * 1000)} left` : nothing
      }
    </p>
    <button part="button" type="button" @click=${() => engine.cancel()}>Cancel download</button>`;
}

function ready(s: Of<'ready'>): TemplateResult {
  const run = engineRunLine(
    s.engine.model?.label ?? modelLabel(s.probe, 'local model'),
    s.engine.placement,
    s.engine.speed,
    s.engine.capabilities.gpu,
  );
  return html`<p class="muted">On-device model ready.</p>
    <p part="placement" class="muted" data-field="placement">
      <span data-field="where">${run.where}</span> · <span data-field="speed">${run.speed}</span>${
        run.note ? html`<br /><span data-field="note">${run.note}</span>` : nothing
      }
    </p>`;
}

function failed(s: Of<'error'>, engine: EngineController): TemplateResult {
  return html`<p class="warn">The on-device model could not be loaded: ${s.error.message}</p>
    ${
      s.probe
        ? html`<button part="button" type="button" @click=${() => void engine.accept()}>Try again</button>`
        : nothing
    }`;
}

function body(engine: EngineController, hasGateway: boolean): TemplateResult {
  const s = engine.state;
  switch (s.status) {
    case 'idle':
      return html`<p>Answers can run privately on this device, for free.</p>
        <button part="button" type="button" @click=${() => void engine.probe()}>Check this device</button>`;
    case 'probing':
      return html`<p>Checking what this device can run…</p>`;
    case 'unsupported':
      return unsupported(s, hasGateway);
    case 'consent':
      return consent(s, engine);
    case 'downloading':
      return downloading(s, engine);
    case 'ready':
      return ready(s);
    case 'error':
      return failed(s, engine);
  }
}

/** The panel for the engine's current state. */
export function renderEnginePanel(engine: EngineController, hasGateway: boolean): TemplateResult {
  return html`<div part="engine" class="engine">${body(engine, hasGateway)}</div>`;
}
