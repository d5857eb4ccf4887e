/**
 * Side panel: shows the latest rewrite/triage job (started from the context menu or its keyboard
 * command) with the tier that answered and why, and lets the person run another on pasted text.
 * The job arrives through chrome.storage.session, so it is there even if the panel opened late.
 */
import { html, render } from 'lit';
import { JOB_KINDS, request, type JobKind, type JobResult } from '../messaging.ts';
import { JOB_KEY, JOB_TITLES } from '../background/jobs.ts';

const app = document.getElementById('app')!;
app.textContent = '';
let job: JobResult | null = null;
let error = '';

function tierLabel(j: JobResult): string {
  return j.tier === 'local' ? 'on this device' : `${j.tier} tier via your gateway`;
}

function triageView(triage: Record<string, unknown>) {
  return html`<dl class="triage">
    ${Object.entries(triage).map(
      ([k, v]) =>
        html`<dt>${k}</dt>
          <dd>${typeof v === 'string' ? v : JSON.stringify(v)}</dd>`,
    )}
  </dl>`;
}

function draw(): void {
  render(
    html`<h1>tier-assist</h1>
      ${
        job
          ? html`<section id="job" aria-live="polite" data-state=${job.state} data-kind=${job.kind}>
              <h2>${JOB_TITLES[job.kind]}</h2>
              <p class="meta">
                Answered ${tierLabel(job)}${job.model ? html` (${job.model})` : ''}. ${job.reason}
                ${job.redacted ? ' Personal data was replaced by placeholders before sending and restored here.' : ''}
              </p>
              ${job.state === 'running' ? html`<p>Working…</p>` : null}
              ${job.state === 'error' ? html`<p role="alert" data-code=${job.error?.code ?? ''}>${job.error?.message}</p>` : null}
              ${
                job.state === 'done'
                  ? html`${job.triage ? triageView(job.triage) : null}<output id="result">${job.text}</output>
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
      <form @submit=${submit}>
        <label for="text">Text</label>
        <textarea id="text" name="text" rows="5"></textarea>
        <div>
          ${JOB_KINDS.map((k) => html`<button name="kind" value=${k} type="submit">${JOB_TITLES[k]}</button>`)}
        </div>
      </form>
      ${error ? html`<p role="alert">${error}</p>` : null}`,
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
    job = await request('job.run', { kind, text });
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  draw();
}

chrome.storage.session.onChanged.addListener((changes) => {
  const change = changes[JOB_KEY];
  if (change?.newValue) {
    job = change.newValue as JobResult;
    draw();
  }
});

draw();
request('job.latest', {})
  .then((latest) => {
    if (latest.job && (!job || latest.job.id === job.id || job.state !== 'running')) job = latest.job;
    draw();
  })
  .catch((e: unknown) => {
    error = e instanceof Error ? e.message : String(e);
    draw();
  });
