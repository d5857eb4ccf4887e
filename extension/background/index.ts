/**
 * Background service worker: answers the typed protocol, owns the context menu and commands, and
 * forwards engine work to the offscreen document (ADR 0002). Everything is imported statically (a
 * dynamic import() is forbidden in a service worker). No state lives only in memory: settings,
 * stats and the latest job are in chrome.storage, and the engine lives in the offscreen document, so
 * a worker killed after 30 s idle comes back and answers the next request as if nothing happened.
 * `main(deps)` is exported so tests can start it against stand-ins.
 */
import { route, verifyAnswer } from '../../src/router/index.ts';
import type { Decision, RouteContext } from '../../src/router/types.ts';
import { AbortError, InvalidInputError, NotConfiguredError } from '../../src/errors.ts';
import {
  listen,
  listenPorts,
  JOB_KINDS,
  type Handlers,
  type JobKind,
  type JobResult,
} from '../shared/messaging.ts';
import { resolveModel } from '../shared/models.ts';
import { siteEnabled } from '../shared/settings.ts';
import { cachedSettings } from '../shared/settings-store.ts';
import { gatewayFor } from './gateway.ts';
import { JOB_KEY, JOB_TITLES } from '../shared/jobs.ts';
import { handoffTriage, runJob, type JobDeps } from './jobs.ts';
import { offscreenClient, type OffscreenClient } from './offscreen-client.ts';
import { pageHostClient } from './page-host-client.ts';
import { isEventPage } from '../shared/page-bus.ts';
import { ledgerStats, recordSuggestion, type Stats } from '../shared/stats.ts';

export interface BackgroundDeps {
  runtime: typeof chrome.runtime;
  offscreen: OffscreenClient;
  now: () => number;
  decide: (text: string, context: RouteContext) => Decision;
  stats: Stats;
}

const MENU_PARENT = 'tier-assist';

function originOf(sender: chrome.runtime.MessageSender): string {
  const url = sender.origin ?? sender.url ?? sender.tab?.url;
  if (!url) throw new InvalidInputError('A suggestion request must come from a page.');
  return new URL(url).origin;
}

export function main(deps: BackgroundDeps): {
  handlers: Handlers;
  runMenu: (kind: JobKind, text: string) => Promise<JobResult>;
} {
  const startedAt = deps.now();
  const settingsCache = cachedSettings();
  const loadSettings = settingsCache.get;
  const saveSettings = settingsCache.save;
  const version = deps.runtime.getManifest().version;
  let jobSeq = 0;

  const jobDeps: JobDeps = {
    settings: () => loadSettings(),
    decide: deps.decide,
    verify: (input) => verifyAnswer(input),
    local: async (id, messages) => {
      const settings = await loadSettings();
      if (!settings.model.downloadAllowed)
        throw new NotConfiguredError(
          'The on-device model is not downloaded yet. Press "Load model now" in the tier-assist popup, or allow the download in the options.',
          { data: { setting: 'model.downloadAllowed' } },
        );
      const out = await deps.offscreen.request('engine.chat', {
        id,
        model: resolveModel(settings),
        messages,
        maxTokens: 256,
        temperature: 0.2,
      });
      return { text: out.text, model: out.model, finishReason: out.finishReason };
    },
    gateway: (settings) => gatewayFor(settings.gateway),
    publish: async (job) => {
      await chrome.storage.session.set({ [JOB_KEY]: job });
    },
    record: (entry) => deps.stats.record(entry).catch(() => undefined),
    now: deps.now,
  };

  // Menu and command jobs. Triage is handed to the side panel's <tier-triage> (the model runs once,
  // there); `job.run` (the API) still runs every kind here.
  const runMenu = (kind: JobKind, text: string): Promise<JobResult> => {
    const id = `job-${startedAt}-${++jobSeq}`;
    return kind === 'triage' ? handoffTriage(jobDeps, id, text) : runJob(jobDeps, id, kind, text);
  };

  const handlers: Handlers = {
    ping: async () => ({ pong: true, startedAt, version }),
    suggest: async ({ id, before }, sender) => {
      const received = performance.now();
      const settings = await loadSettings();
      if (!settings.model.downloadAllowed || !siteEnabled(settings, originOf(sender)))
        return { text: '', engineMs: 0, hostMs: 0, backgroundMs: 0, model: '' };
      // The engine host picks the prompt's window of `before` (stable while typing: KV-cache reuse).
      const out = await deps.offscreen.request('engine.suggest', {
        id,
        model: resolveModel(settings),
        before,
      });
      if (out.finishReason === 'abort') throw new AbortError();
      recordSuggestion(deps.stats, before.slice(before.length - out.prefixChars), out);
      return {
        text: out.text,
        engineMs: out.engineMs,
        hostMs: out.hostMs,
        backgroundMs: performance.now() - received,
        model: out.model,
        prefixChars: out.prefixChars,
        maxPrefixChars: out.maxPrefixChars,
        ...(out.promptTokens !== undefined ? { promptTokens: out.promptTokens } : {}),
        ...(out.cachedTokens !== undefined ? { cachedTokens: out.cachedTokens } : {}),
      };
    },
    cancel: async ({ id }) => {
      if (!(await deps.offscreen.exists())) return { cancelled: false };
      return deps.offscreen.request('engine.cancel', { id });
    },
    status: async () => {
      if (!(await deps.offscreen.exists()))
        return {
          state: 'idle',
          host: 'offscreen',
          kind: undefined,
          model: undefined,
          progress: 0,
          error: undefined,
          webgpu: 'gpu' in navigator,
          problems: [],
        };
      return deps.offscreen.request('engine.status', {});
    },
    // The person pressed "Load model now": that is their consent to download it.
    load: async () => {
      const settings = await saveSettings({ model: { downloadAllowed: true } });
      return deps.offscreen.request('engine.load', { model: resolveModel(settings) });
    },
    'settings.get': async () => loadSettings(),
    'settings.set': async ({ patch }) => saveSettings(patch),
    'site.get': async ({ origin }) => ({ origin, enabled: siteEnabled(await loadSettings(), origin) }),
    'site.set': async ({ origin, enabled }) => {
      const settings = await loadSettings();
      const others = settings.disabledSites.filter((o) => o !== origin);
      const next = await saveSettings({ disabledSites: enabled ? others : [...others, origin] });
      return { origin, enabled: siteEnabled(next, origin) };
    },
    'stats.today': async () => deps.stats.today(),
    'job.run': async ({ kind, text }) => runMenu(kind, text),
    'job.latest': async () => {
      const job = (await chrome.storage.session.get(JOB_KEY))[JOB_KEY] as JobResult | undefined;
      return { job: job ?? null };
    },
    'cache.list': async () => deps.offscreen.request('cache.list', {}),
    'cache.delete': async ({ id }) => deps.offscreen.request('cache.delete', { id }),
  };
  listen(handlers, deps.runtime);
  listenPorts(handlers, { runtime: deps.runtime });
  return { handlers, runMenu };
}

function installMenus(): void {
  chrome.contextMenus.removeAll(() => {
    chrome.contextMenus.create({ id: MENU_PARENT, title: 'tier-assist', contexts: ['selection'] });
    for (const kind of JOB_KINDS)
      chrome.contextMenus.create({
        id: kind,
        parentId: MENU_PARENT,
        title: JOB_TITLES[kind],
        contexts: ['selection'],
      });
  });
}

function isJobKind(value: unknown): value is JobKind {
  return (JOB_KINDS as readonly unknown[]).includes(value);
}

/**
 * Shows the results panel: Chrome's side panel, or Firefox's sidebar (no side panel API there). Must
 * run before any await: both need the click's or the command's user gesture.
 */
function openPanel(tabId: number): void {
  if (chrome.sidePanel) void chrome.sidePanel.open({ tabId }).catch(() => undefined);
  else
    void (chrome as { sidebarAction?: { open(): Promise<void> } }).sidebarAction
      ?.open()
      .catch(() => undefined);
}

/** Chrome wiring: menus, commands, the side panel. Listeners are registered synchronously at start-up (MV3 rule). */
function wire(runMenu: (kind: JobKind, text: string) => Promise<JobResult>): void {
  chrome.runtime.onInstalled.addListener(installMenus);
  chrome.contextMenus.onClicked.addListener((info, tab) => {
    if (!isJobKind(info.menuItemId) || !info.selectionText) return;
    // open() needs the click's user gesture: call it before any await.
    if (tab?.id !== undefined) openPanel(tab.id);
    void runMenu(info.menuItemId, info.selectionText);
  });
  chrome.commands.onCommand.addListener((command, tab) => {
    if (!isJobKind(command) || tab?.id === undefined) return;
    openPanel(tab.id);
    void runCommand(runMenu, command, tab.id).catch(() => undefined);
  });
}

/** A keyboard command: asks the tab's content script for the selected text, then runs the job on it. */
async function runCommand(
  runMenu: (kind: JobKind, text: string) => Promise<JobResult>,
  kind: JobKind,
  tabId: number,
): Promise<JobResult | undefined> {
  const reply: unknown = await chrome.tabs.sendMessage(
    tabId,
    { tierAssistTab: 1, name: 'selection' },
    { frameId: 0 },
  );
  const text = typeof reply === 'object' && reply && 'text' in reply ? String(reply.text) : '';
  return text.trim() ? runMenu(kind, text) : undefined;
}

const app = main({
  runtime: chrome.runtime,
  // Firefox's event page hosts the engine itself (no offscreen documents there).
  offscreen: isEventPage() ? pageHostClient() : offscreenClient(),
  now: () => Date.now(),
  decide: (text, context) => route(text, context),
  stats: ledgerStats(),
});
wire(app.runMenu);
/** For tests and the bench: start a job as the context menu or a keyboard command does. */
(globalThis as { tierAssist?: unknown }).tierAssist = {
  runMenu: app.runMenu,
  runCommand: (kind: JobKind, tabId: number) => runCommand(app.runMenu, kind, tabId),
};
