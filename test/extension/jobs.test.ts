/** The rewrite/triage job runner's decisions, with the real router, verifier and redaction (Node). */
import { describe, expect, it } from 'vitest';
import { runJob, type JobDeps } from '../../extension/background/jobs.ts';
import type { JobResult } from '../../extension/shared/messaging.ts';
import { applyPatch, defaultSettings, type Settings } from '../../extension/shared/settings.ts';
import type { ChatMessage } from '../../src/engines/types.ts';
import { redactPii } from '../../src/privacy/index.ts';
import { route, verifyAnswer } from '../../src/router/index.ts';

function deps(settings: Settings, localText: string) {
  const sent: ChatMessage[][] = [];
  const published: JobResult[] = [];
  const recorded: { tier: string; escalated?: boolean }[] = [];
  const d: JobDeps = {
    settings: async () => settings,
    decide: route,
    verify: verifyAnswer,
    redact: (text) => {
      const r = redactPii(text);
      return { text: r.text, found: r.spans.length > 0, restore: r.restore };
    },
    local: async () => ({ text: localText, model: 'tiny', finishReason: 'stop' }),
    escalate: async (_s, decision, messages) => {
      sent.push(messages);
      return {
        text: '{"category":"billing","priority":"high","summary":"Refund [EMAIL_1]"}',
        model: `${decision.tier}-model`,
        inputTokens: 10,
        outputTokens: 5,
        costUsd: 0.0001,
        frontierCostUsd: 0.001,
      };
    },
    publish: async (job) => void published.push(job),
    record: async (entry) => void recorded.push(entry),
    now: () => 0,
  };
  return { d, sent, published, recorded };
}

const TICKET = 'I was charged twice for order 1234, please refund. Contact ann@example.com.';

describe('rewrite and triage jobs', () => {
  it('keeps a short rewrite on the device even with a gateway', async () => {
    const s = applyPatch(defaultSettings(), { gateway: { url: 'https://gw.example' } });
    const { d, sent } = deps(s, 'Could you send the report soon, please?');
    const job = await runJob(d, 'j1', 'rewrite-polite', 'send report now');
    expect(job).toMatchObject({
      state: 'done',
      tier: 'local',
      text: 'Could you send the report soon, please?',
    });
    expect(sent).toHaveLength(0);
  });

  it('escalates a triage answer the verifier rejects, redacting personal data on the way out', async () => {
    const s = applyPatch(defaultSettings(), { gateway: { url: 'https://gw.example' }, privacy: 'redact' });
    const { d, sent, recorded } = deps(s, 'not json');
    const job = await runJob(d, 'j2', 'triage', TICKET);
    expect(job).toMatchObject({ state: 'done', tier: 'mid', redacted: true, model: 'mid-model' });
    expect(job.text).toContain('Refund ann@example.com');
    expect(job.triage).toMatchObject({ category: 'billing', priority: 'high' });
    expect(JSON.stringify(sent)).not.toContain('ann@example.com');
    expect(recorded.map((r) => r.tier)).toEqual(['local', 'mid']);
    expect(recorded[1]?.escalated).toBe(true);
  });

  it('keeps the device answer when the verifier accepts it', async () => {
    const s = applyPatch(defaultSettings(), { gateway: { url: 'https://gw.example' } });
    const good =
      '{"category":"billing","priority":"high","summary":"Double charge on order 1234","reply":"We will refund you."}';
    const { d, sent } = deps(s, good);
    const job = await runJob(d, 'j3', 'triage', TICKET);
    expect(job.tier).toBe('local');
    expect(sent).toHaveLength(0);
  });

  it('never sends personal data under "local-only", and nothing at all without a gateway', async () => {
    const local = applyPatch(defaultSettings(), {
      gateway: { url: 'https://gw.example' },
      privacy: 'local-only',
    });
    const a = deps(local, 'not json');
    expect((await runJob(a.d, 'j4', 'triage', TICKET)).tier).toBe('local');
    expect(a.sent).toHaveLength(0);
    const b = deps(defaultSettings(), 'not json');
    expect((await runJob(b.d, 'j5', 'triage', TICKET)).tier).toBe('local');
    expect(b.sent).toHaveLength(0);
  });

  it('publishes a running state first, then the result', async () => {
    const { d, published } = deps(defaultSettings(), 'Shorter.');
    await runJob(d, 'j6', 'rewrite-shorter', 'This is a long sentence that could be shorter.');
    expect(published.map((j) => j.state)).toEqual(['running', 'done']);
  });
});
