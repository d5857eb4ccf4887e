/**
 * Options page: gateway URL and token, model choice ("Automatic" first, with what it picks on this
 * device and why; the catalog with sizes; or a self-hosted GGUF URL),
 * quality knob, privacy policy, autocomplete debounce, disabled sites, keyboard shortcuts, model
 * cache management, and what leaves the device. Saving validates the whole settings object in the
 * background; an invalid field gets its error next to it and the stored settings stay as they were.
 */
import { html, render } from 'lit';
import { chooseGhostTextModel, type GhostTextChoice } from '../../src/engines/defaults.ts';
import { browserEnvironment, probeCapabilities } from '../../src/engines/probe.ts';
import { TierError } from '../../src/errors.ts';
import { request, type CacheEntry } from '../shared/messaging.ts';
import { AUTO_MODEL, CATALOG, measuredSteps } from '../shared/models.ts';
import { AUTO_MODEL_ID, type Settings } from '../shared/settings.ts';

const app = document.getElementById('app')!;
app.textContent = '';
let settings: Settings | undefined;
let fieldErrors: Record<string, string> = {};
let notice = '';
let cache: { entries: CacheEntry[]; usageBytes: number; quotaBytes: number } | undefined;
let commands: chrome.commands.Command[] = [];
/** What "Automatic" picks on this device (the same probe and choice the engine host makes). */
let auto: GhostTextChoice | undefined;
let autoProblem: string | undefined;

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 0)} MB`;

/**
 * What a keyboard command is called on this page. Chrome lists the toolbar button's own command
 * (`_execute_action`) with an empty description; every other command has the manifest's description.
 */
function commandLabel(command: chrome.commands.Command): string {
  if (command.description) return command.description;
  return command.name === '_execute_action'
    ? 'Open the tier-assist popup'
    : (command.name ?? 'Unnamed command');
}

function downloadSize(s: Settings): string {
  if (s.model.customUrl) return '';
  const id = s.model.id === AUTO_MODEL_ID ? auto?.model.id : s.model.id;
  const model = CATALOG.find((m) => m.id === id);
  return model && model.sizeBytes > 0 ? ` (${mb(model.sizeBytes)})` : '';
}

function err(field: string) {
  const message = fieldErrors[field];
  return message
    ? html`<p class="error" id="error-${field.replace('.', '-')}" data-error-for=${field} role="alert">
        ${message}
      </p>`
    : null;
}

function invalid(field: string): string {
  return fieldErrors[field] ? 'true' : 'false';
}

function draw(): void {
  const s = settings;
  if (!s) {
    render(html`<p>Loading…</p>`, app);
    return;
  }
  render(
    html`<h1>tier-assist options</h1>
      <form id="settings" @submit=${save} novalidate>
        <fieldset>
          <legend>Gateway (used only when a request needs a bigger model)</legend>
          <label for="gateway-url">Gateway URL</label>
          <input
            id="gateway-url"
            name="gateway.url"
            .value=${s.gateway.url}
            placeholder="https://ai.example.com"
            aria-invalid=${invalid('gateway.url')}
            aria-describedby="error-gateway-url"
          />
          ${err('gateway.url')}
          <label for="gateway-token">Token</label>
          <input
            id="gateway-token"
            name="gateway.token"
            type="password"
            autocomplete="off"
            .value=${s.gateway.token}
          />
          ${err('gateway.token')}
        </fieldset>
        <fieldset>
          <legend>On-device model</legend>
          <label for="model-id">Model</label>
          <select id="model-id" name="model.id" aria-describedby="model-auto">
            <option value=${AUTO_MODEL_ID} ?selected=${s.model.id === AUTO_MODEL_ID}>
              ${AUTO_MODEL.label}${auto ? `: ${auto.model.label} — ${mb(auto.model.sizeBytes)} download` : ''}
            </option>
            ${CATALOG.map((m) => html`<option value=${m.id} ?selected=${m.id === s.model.id}>${m.label} — ${mb(m.sizeBytes)} download</option>`)}
            ${s.model.id === AUTO_MODEL_ID || CATALOG.some((m) => m.id === s.model.id) ? null : html`<option value=${s.model.id} selected>${s.model.id}</option>`}
          </select>
          <p class="hint" id="model-auto">
            ${auto ? html`Automatic picks <strong>${auto.model.label}</strong> here: ${auto.reason}` : (autoProblem ?? 'Checking this device…')}
            ${s.model.customUrl ? ' A self-hosted URL below, when set, is used instead.' : ''}
          </p>
          <label for="model-url">Or a self-hosted GGUF URL (runs on WebAssembly)</label>
          <input
            id="model-url"
            name="model.customUrl"
            .value=${s.model.customUrl}
            placeholder="https://models.example.com/model.gguf"
            aria-invalid=${invalid('model.customUrl')}
            aria-describedby="error-model-customUrl"
          />
          ${err('model.customUrl')}
          <label
            ><input
              id="model-download"
              name="model.downloadAllowed"
              type="checkbox"
              .checked=${s.model.downloadAllowed}
            />
            Download the model when it is first needed${downloadSize(s)}</label
          >
          <p class="hint">Until this is on, nothing is downloaded and no suggestions appear.</p>
        </fieldset>
        <fieldset>
          <legend>Routing</legend>
          <label for="quality"
            >Quality (0 = cheapest acceptable, 1 = always the best tier): <output>${s.quality}</output></label
          >
          <input
            id="quality"
            name="quality"
            type="range"
            min="0"
            max="1"
            step="0.05"
            .value=${String(s.quality)}
          />
          <label for="privacy">Personal data</label>
          <select id="privacy" name="privacy">
            <option value="redact" ?selected=${s.privacy === 'redact'}>
              Redact before anything leaves the device
            </option>
            <option value="local-only" ?selected=${s.privacy === 'local-only'}>
              Keep requests with personal data on the device
            </option>
            <option value="allow" ?selected=${s.privacy === 'allow'}>Send as is</option>
          </select>
        </fieldset>
        <fieldset>
          <legend>Autocomplete</legend>
          <label
            ><input
              id="autocomplete"
              name="autocomplete.enabled"
              type="checkbox"
              .checked=${s.autocomplete.enabled}
            />
            Ghost-text suggestions in text fields</label
          >
          <label for="debounce">Wait after typing (ms)</label>
          <input
            id="debounce"
            name="autocomplete.debounceMs"
            type="number"
            min="50"
            max="2000"
            step="10"
            .value=${String(s.autocomplete.debounceMs)}
            aria-invalid=${invalid('autocomplete.debounceMs')}
            aria-describedby="error-autocomplete-debounceMs"
          />
          ${err('autocomplete.debounceMs')}
          <label for="sites">Sites without suggestions (one origin per line)</label>
          <textarea id="sites" name="disabledSites" rows="3">${s.disabledSites.join('\n')}</textarea>
          ${err('disabledSites')}
        </fieldset>
        <button type="submit">Save</button>
        <p id="notice" role="status">${notice}</p>
      </form>
      <section aria-labelledby="keys">
        <h2 id="keys">Keyboard shortcuts</h2>
        <ul>
          <li>
            <kbd>Tab</kbd> accepts a suggestion (only while one shows), <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd
              >→</kbd
            >
            one word, <kbd>Esc</kbd> dismisses.
          </li>
          ${commands.map((c) => html`<li>${commandLabel(c)}: <kbd>${c.shortcut || 'not set'}</kbd></li>`)}
        </ul>
        <p>Change the commands at <code>chrome://extensions/shortcuts</code>.</p>
      </section>
      <section aria-labelledby="cache-h">
        <h2 id="cache-h">Cached models</h2>
        ${
          cache
            ? html`<p>Using ${mb(cache.usageBytes)} of ${mb(cache.quotaBytes)}.</p>
                <ul id="cache">
                  ${cache.entries.map((e) => html`<li>${e.id} — ${mb(e.bytes)} <button @click=${() => remove(e.id)}>Delete</button></li>`)}
                </ul>
                ${cache.entries.length === 0 ? html`<p>No model is cached.</p>` : null}`
            : html`<button @click=${listCache}>Show cached models</button>`
        }
      </section>
      <section aria-labelledby="leaves">
        <h2 id="leaves">What leaves my device</h2>
        <ul>
          <li>
            <strong>Autocomplete never leaves the device.</strong> The text around the caret goes only to the
            model running inside this browser.
          </li>
          <li>The model is downloaded once from the URL above and cached in this browser.</li>
          <li>
            Rewrite and triage run on the device unless the router decides the text needs a bigger model
            <em>and</em> a gateway URL is set; then the selected text goes to <em>your</em> gateway only,
            ${s.privacy === 'redact' ? 'with personal data (emails, phone numbers, card numbers…) replaced by placeholders first' : s.privacy === 'local-only' ? 'and never when it contains personal data' : 'as is'}.
          </li>
          <li>Nothing is sent to tier-assist's authors; settings and daily counts stay in this browser.</li>
        </ul>
      </section>`,
    app,
  );
}

function collect(form: HTMLFormElement): Record<string, unknown> {
  const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
  const debounce = value('autocomplete.debounceMs');
  return {
    gateway: { url: value('gateway.url').trim(), token: value('gateway.token') },
    model: {
      id: value('model.id'),
      customUrl: value('model.customUrl').trim(),
      downloadAllowed: (form.elements.namedItem('model.downloadAllowed') as HTMLInputElement).checked,
    },
    quality: Number(value('quality')),
    privacy: value('privacy'),
    autocomplete: {
      enabled: (form.elements.namedItem('autocomplete.enabled') as HTMLInputElement).checked,
      debounceMs: debounce === '' ? Number.NaN : Number(debounce),
    },
    disabledSites: value('disabledSites')
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean),
  };
}

async function save(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const patch = collect(event.target as HTMLFormElement);
  try {
    settings = await request('settings.set', { patch });
    fieldErrors = {};
    notice = 'Saved.';
  } catch (error) {
    notice = 'Not saved: fix the field marked below. Your previous settings are still in use.';
    if (error instanceof TierError && typeof error.data?.field === 'string' && error.data.field) {
      const field = error.data.field.replace(/\.\d+$/, '');
      fieldErrors = { [field]: error.message };
    } else {
      fieldErrors = {};
      notice = error instanceof Error ? error.message : String(error);
    }
  }
  draw();
  app.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}

async function listCache(): Promise<void> {
  cache = await request('cache.list', {});
  draw();
}

async function remove(id: string): Promise<void> {
  await request('cache.delete', { id });
  await listCache();
}

/** Runs the capability probe here (nothing is downloaded) to say what "Automatic" would choose. */
async function probeAuto(): Promise<void> {
  try {
    // Chrome's Prompt API plays no part in the ghost-text choice: leave it out of this probe.
    const env = { ...browserEnvironment(), languageModel: undefined };
    auto = chooseGhostTextModel(await probeCapabilities(env), measuredSteps(globalThis.localStorage).read(), {
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
    });
  } catch (error) {
    auto = undefined;
    autoProblem = `This device could not be checked (${error instanceof Error ? error.message : String(error)}); the engine host checks it again when the model loads.`;
  }
  draw();
}

async function start(): Promise<void> {
  draw();
  void probeAuto();
  settings = await request('settings.get', {});
  commands = await chrome.commands.getAll().catch(() => []);
  draw();
}

start().catch((error: unknown) => {
  app.textContent = `The background did not answer: ${error instanceof Error ? error.message : String(error)}`;
});
