/** The rewrite/triage job runner's decisions, with the real router, verifier and redaction (Node). */
import { describe, expect, it } from 'vitest';
import { runJob, type JobDeps } from '../../extension/background/jobs.ts';
import type { JobResult } from '../../extension/shared/messaging.ts';
import { applyPatch, defaultSettings, type Settings } from '../../extension/shared/settings.ts';
import type { LedgerEntry } from '../../src/ledger/index.ts';
import { route, verifyAnswer } from '../../src/router/index.ts';
import { scriptedGateway } from '../support/engines.ts';

/** What the mid tier answers a triage: valid triage JSON with placeholders where the ticket had personal data. */
const MID_TRIAGE = JSON.stringify({
  category: 'get_refund',
  priority: 'high',
  sentiment: 'negative',
  language: 'en',
  summary: 'Refund [EMAIL_1]',
  reply: 'Refund [EMAIL_1] is on its way.',
});

function deps(settings: Settings, localText: string) {
  const gateway = scriptedGateway(MID_TRIAGE);
  const published: JobResult[] = [];
  const recorded: LedgerEntry[] = [];
  const d: JobDeps = {
    settings: async () => settings,
    decide: route,
    verify: verifyAnswer,
    local: async () => ({ text: localText, model: 'tiny', finishReason: 'stop' }),
    gateway: (s) => (s.gateway.url ? gateway : undefined),
    publish: async (job) => void published.push(job),
    record: async (entry) => void recorded.push(entry),
    now: () => 0,
  };
  return { d, requests: gateway.requests, published, recorded };
}

const TICKET = 'I was charged twice for order 1234, please refund. Contact ann@example.com.';

describe('rewrite and triage jobs', () => {
  it('keeps a short rewrite on the device even with a gateway', async () => {
    const s = applyPatch(defaultSettings(), { gateway: { url: 'https://gw.example' } });
    const { d, requests } = deps(s, 'Could you send the report soon, please?');
    const job = await runJob(d, 'j1', 'rewrite-polite', 'send report now');
    expect(job).toMatchObject({
      state: 'done',
      tier: 'local',
      text: 'Could you send the report soon, please?',
    });
    expect(requests).toHaveLength(0);
  });

  it('escalates a triage answer the device cannot give, redacting personal data on the way out', async () => {
    const s = applyPatch(defaultSettings(), { gateway: { url: 'https://gw.example' }, privacy: 'redact' });
    const { d, requests, recorded } = deps(s, 'not json');
    const job = await runJob(d, 'j2', 'triage', TICKET);
    expect(job).toMatchObject({ state: 'done', tier: 'mid', redacted: true });
    expect(job.text).toContain('Refund ann@example.com');
    // exactly <tier-triage>'s outcome: every field with its value, confidence and source
    expect(job.triage?.fields).toMatchObject({
      category: { value: 'get_refund', source: 'gateway' },
      priority: { value: 'high', source: 'gateway' },
    });
    expect(job.triage?.escalated).toContain('category');
    expect(JSON.stringify(requests)).not.toContain('ann@example.com');
    expect(requests).toHaveLength(1);
    // the device's two tries (triage retries invalid JSON once), then the mid tier
    expect(recorded.map((r) => r.tier)).toEqual(['local', 'local', 'mid']);
    expect(recorded.at(-1)?.escalated).toBe(true);
  });

  it('keeps the device answer when it is valid and confident', async () => {
    const s = applyPatch(defaultSettings(), { gateway: { url: 'https://gw.example' } });
    const good = JSON.stringify({
      category: 'get_refund',
      priority: 'high',
      sentiment: 'negative',
      language: 'en',
      summary: 'Double charge on order 1234',
      reply: 'We will refund you.',
    });
    const { d, requests } = deps(s, good);
    const job = await runJob(d, 'j3', 'triage', TICKET);
    expect(job.tier).toBe('local');
    expect(job.model).toBe('tiny');
    expect(job.triage?.fields.category).toMatchObject({ value: 'get_refund', source: 'device' });
    expect(requests).toHaveLength(0);
  });

  it('never sends personal data under "local-only", and nothing at all without a gateway', async () => {
    const local = applyPatch(defaultSettings(), {
      gateway: { url: 'https://gw.example' },
      privacy: 'local-only',
    });
    const a = deps(local, 'not json');
    expect((await runJob(a.d, 'j4', 'triage', TICKET)).tier).toBe('local');
    expect(a.requests).toHaveLength(0);
    const b = deps(defaultSettings(), 'not json');
    expect((await runJob(b.d, 'j5', 'triage', TICKET)).tier).toBe('local');
    expect(b.requests).toHaveLength(0);
  });

  it('a rewrite the router sends to the gateway goes redacted, comes back restored, and is booked with its cost', async () => {
    const s = applyPatch(defaultSettings(), { gateway: { url: 'https://gw.example' }, privacy: 'redact' });
    const { d, requests, recorded, published } = deps(s, 'unused');
    d.decide = (text, context) => ({ ...route(text, context), tier: 'mid', reason: 'stand-in: mid' });
    const job = await runJob(d, 'j7', 'rewrite-clearer', 'Tell ann@example.com the report is late.');
    expect(JSON.stringify(requests)).not.toContain('ann@example.com');
    expect(JSON.stringify(requests)).toContain('[EMAIL_1]');
    expect(job).toMatchObject({ state: 'done', tier: 'mid', reason: 'stand-in: mid', redacted: true });
    expect(job.text).toContain('ann@example.com'); // the stand-in gateway echoes placeholders
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      surface: 'extension',
      task: 'rewrite',
      tier: 'mid',
      costUsd: 0.00003,
    });
    expect(published[0]).toMatchObject({ state: 'running', tier: 'mid', reason: 'stand-in: mid' });
  });

  it('publishes a running state first, then the result', async () => {
    const { d, published } = deps(defaultSettings(), 'Shorter.');
    await runJob(d, 'j6', 'rewrite-shorter', 'This is a long sentence that could be shorter.');
    expect(published.map((j) => j.state)).toEqual(['running', 'done']);
  });
});
