/**
 * Content script: attaches to every http(s) page. Marks the document so the page (and tests) can
 * see the extension is present; the suggestion UI mounts from here.
 */
import { request } from '../messaging.ts';

export interface ContentDeps {
  document: Document;
  runtime: typeof chrome.runtime;
}

export async function main(deps: ContentDeps): Promise<void> {
  const root = deps.document.documentElement;
  root.dataset.tierAssist = 'attached';
  try {
    await request('ping', {}, deps.runtime);
    root.dataset.tierAssist = 'connected';
  } catch {
    // The background is restarting or the extension was reloaded; the next request retries.
    root.dataset.tierAssist = 'attached';
  }
}

void main({ document, runtime: chrome.runtime });
