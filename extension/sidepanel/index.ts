/**
 * Side panel: shows the latest rewrite/triage job (started from the context menu or its keyboard
 * command) with the tier that answered and why, lets the person rewrite pasted text, and hosts a
 * `<tier-triage>` for tickets: paste one (or receive the one from "Triage this ticket") and get the
 * classifier's category with its confidence, the LLM's fields, keyboard corrections that teach the
 * classifier, Zendesk-style tags and JSON. The element runs on the extension's shared on-device
 * engine (HostEngine over the engine host's port) once the model download is allowed, and escalates
 * through the gateway configured in the options. The job arrives through chrome.storage.session, so
 * it is there even if the panel opened late.
 *
 * "Triage this ticket" from a page is handed over by the background without running the model
 * (state `handoff`): the element triages it once, here, and the panel publishes the outcome as the
 * job's result (tier, why, fields), so a panel opened later shows it without running it again.
 * The element's model calls (device and gateway) are booked in the ledger (surface
 * `extension-triage`), like the background's jobs and ghost text.
 */
import { html, render } from 'lit';
import '../../components/tier-triage/tier-triage.ts';
import type { TriageRecord } from '../../components/tier-triage/tier-triage.ts';
import { toTierError, type TierError } from '../../src/errors.ts';
import { gatewayClient } from '../../src/remote/index.ts';
import type { TriageOutcome } from '../../src/triage/llm-triage.ts';
import { request, type JobKind, type JobResult } from '../shared/messaging.ts';
import { HANDOFF_REASON, JOB_KEY, JOB_TITLES } from '../shared/jobs.ts';
import { ledgerStats } from '../shared/stats.ts';
import { resolveModel } from '../shared/models.ts';
import { migrate, SETTINGS_KEY, type Settings } from '../shared/settings.ts';
import { triageJobResult, triageLine } from '../shared/triage-result.ts';
import { HostEngine } from './engine.ts';

/** Rewrites run as jobs from the form; triage runs in the element. */
const REWRITE_KINDS = ['rewrite-clearer', 'rewrite-shorter', 'rewrite-polite'] as const satisfies JobKind[];

const app = document.getElementById('app')!;
app.textContent = '';
let job: JobResult | null = null;
let error = '';
let settings: Settings | undefined;
/** Triage jobs already handed to the element (each ticket is triaged there once per panel). */
const fed = new Set<string>();

const triage = document.createElement('tier-triage');
triage.storeName = 'tier-extension-triage';
triage.addEventListener('tier-triage-result', () => draw());
/** The element's model calls go into the extension's ledger (same IndexedDB as the worker's and the popup's). */
const ledger = ledgerStats();
triage.ledger = { record: (entry) => ledger.record({ ...entry, surface: 'extension-triage' }) };
let lastTriageError: TierError | undefined;
triage.addEventListener('tier-triage-error', (event) => {
  lastTriageError = event.detail.error;
});

function tierLabel(j: JobResult): string {
  return j.tier === 'local' ? 'on this device' : `${j.tier} tier via your gateway`;
}

/** The job's own answer (device or gateway), in one line: the element below holds the editable fields. */
function jobTriageLine(outcome: TriageOutcome) {
  return html`<p class="triage">${triageLine(outcome)}</p>`;
}

function engineNote(): string {
  if (!settings) return '';
  const engine = settings.model.downloadAllowed
    ? 'Category from the classifier on this device; the other fields from the on-device model'
    : 'Category from the classifier on this device (allow the model download in the options for the other fields)';
  return settings.gateway.url ? `${engine}, escalated to your gateway when unsure.` : `${engine}.`;
}

function draw(): void {
  render(
    html`<h1>tier-assist</h1>
      ${
        job
          ? html`<section id="job" aria-live="polite" data-state=${job.state} data-kind=${job.kind}>
              <h2>${JOB_TITLES[job.kind]}</h2>
              <p class="meta">
                ${job.state === 'running' && job.reason === HANDOFF_REASON ? '' : html`Answered ${tierLabel(job)}${job.model ? html` (${job.model})` : ''}.`}
                ${job.reason}
                ${job.redacted ? ' Personal data was replaced by placeholders before sending and restored here.' : ''}
              </p>
              ${job.state === 'running' ? html`<p>Working…</p>` : null}
              ${job.state === 'error' ? html`<p role="alert" data-code=${job.error?.code ?? ''}>${job.error?.message}</p>` : null}
              ${
                job.state === 'done'
                  ? html`${job.triage ? jobTriageLine(job.triage) : null}<output id="result"
                        >${job.text}</output
                      >
                      <button @click=${copy}>Copy</button>`
                  : null
              }
              <details>
                <summary>Original text</summary>
                <p>${job.input}</p>
              </details>
            </section>`
          : html`<p>
              Select text on a page, right-click and choose a tier-assist action. Or paste text here:
            </p>`
      }
      <form @submit=${submit} aria-labelledby="rewrite-title">
        <h2 id="rewrite-title">Rewrite</h2>
        <label for="text">Text</label>
        <textarea id="text" name="text" rows="4"></textarea>
        <div>
          ${REWRITE_KINDS.map((k) => html`<button name="kind" value=${k} type="submit">${JOB_TITLES[k]}</button>`)}
        </div>
      </form>
      ${error ? html`<p role="alert">${error}</p>` : null}
      <section id="triage" aria-labelledby="triage-title">
        <h2 id="triage-title">Triage a ticket</h2>
        <p class="meta" id="triage-engine">${engineNote()}</p>
        ${triage}
      </section>`,
    app,
  );
}

async function copy(): Promise<void> {
  if (job) await navigator.clipboard.writeText(job.text).catch(() => undefined);
}

async function submit(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const form = event.target as HTMLFormElement;
  const kind = (event.submitter as HTMLButtonElement | null)?.value as JobKind | undefined;
  const text = (form.elements.namedItem('text') as HTMLTextAreaElement).value.trim();
  if (!kind || !text) return;
  try {
    error = '';
    show(await request('job.run', { kind, text }));
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    draw();
  }
}

/** The job's result from the element's record: the same shape a background triage job carries. */
function triageDone(handed: JobResult, record: TriageRecord, started: number): JobResult {
  const engine = triage.engine;
  return triageJobResult(handed, record, {
    model: engine?.model?.id ?? '',
    privacy: settings?.privacy,
    ms: Date.now() - started,
  });
}

/** Publishes the element's outcome as the job's result, unless a newer job took its place. */
async function publishOutcome(result: JobResult): Promise<void> {
  const latest = (await chrome.storage.session.get(JOB_KEY))[JOB_KEY] as JobResult | undefined;
  if (latest && latest.id !== result.id) return;
  await chrome.storage.session.set({ [JOB_KEY]: result });
}

/** A handed-off "Triage this ticket": the element triages it once; its outcome becomes the job's result. */
async function runHandoff(handed: JobResult): Promise<void> {
  const started = Date.now();
  triage.ticket = handed.input;
  lastTriageError = undefined;
  let result: JobResult;
  try {
    result = triageDone(handed, await triage.triage(handed.input), started);
  } catch (error) {
    // The element reports the real cause through tier-triage-error (triage() then rejects as aborted).
    const cause = lastTriageError ?? toTierError(error);
    const attempts = (
      cause.data as { attempts?: { ok: boolean; error?: { code: string; message: string } }[] }
    )?.attempts;
    const first = attempts?.find((a) => !a.ok && a.error)?.error;
    result = {
      ...handed,
      state: 'error',
      error: first ?? { code: cause.code, message: cause.message },
      ms: Date.now() - started,
    };
  }
  if (job?.id === handed.id) job = result;
  draw();
  await publishOutcome(result).catch(() => undefined);
}

/** Shows a job; a handed-off triage job's ticket goes into the element (once), which triages it. */
function show(next: JobResult): void {
  if (next.kind === 'triage' && next.state === 'handoff') {
    if (fed.has(next.id)) return; // already running here: keep showing its progress
    fed.add(next.id);
    job = { ...next, state: 'running' };
    draw();
    void runHandoff(next);
    return;
  }
  job = next;
  draw();
}

/** The element's engine, gateway and privacy policy follow the extension's settings. */
function configure(next: Settings): void {
  settings = next;
  triage.privacy = next.privacy;
  const model = resolveModel(next);
  if (!next.model.downloadAllowed) triage.engine = undefined;
  else if (
    !(triage.engine instanceof HostEngine) ||
    triage.engine.model.id !== model.id ||
    triage.engine.model.url !== model.url
  )
    triage.engine = new HostEngine(model);
  triage.gatewayClient = next.gateway.url
    ? gatewayClient({ gateway: next.gateway.url, token: next.gateway.token, surface: 'extension' })
    : undefined;
  draw();
}

chrome.storage.session.onChanged.addListener((changes) => {
  const change = changes[JOB_KEY];
  if (change?.newValue) show(change.newValue as JobResult);
});
chrome.storage.local.onChanged.addListener((changes) => {
  const change = changes[SETTINGS_KEY];
  if (!change?.newValue) return;
  try {
    configure(migrate(change.newValue));
  } catch {
    // Unreadable settings: keep the current configuration (the options page says what is wrong).
  }
});

draw();
request('settings.get', {})
  .then(configure)
  .catch((e: unknown) => {
    error = e instanceof Error ? e.message : String(e);
    draw();
  });
request('job.latest', {})
  .then((latest) => {
    if (latest.job && (!job || latest.job.id === job.id || job.state !== 'running')) show(latest.job);
    else draw();
  })
  .catch((e: unknown) => {
    error = e instanceof Error ? e.message : String(e);
    draw();
  });
