/**
 * Redaction before text leaves the device, and restoration in the answer shown to the person.
 *
 * Each distinct value becomes a placeholder such as `[EMAIL_1]`; the same value always gets the same
 * placeholder, so the model can refer to it. `restore(answer)` puts the values back wherever the model
 * echoed a placeholder (also without the brackets or in another case, as models sometimes do).
 */
import type { PrivacyPolicy } from '../config/schemas.ts';
import { detectPii, type PiiKind, type PiiSpan } from './detect.ts';

const LABEL: Record<PiiKind, string> = {
  email: 'EMAIL',
  phone: 'PHONE',
  card: 'CARD',
  iban: 'IBAN',
  'national-id': 'NATIONAL_ID',
  address: 'ADDRESS',
};

export interface Redaction {
  /** The text with every span replaced by its placeholder. */
  text: string;
  spans: PiiSpan[];
  /** placeholder -> original value */
  placeholders: Map<string, string>;
  /** Put the original values back into a model's answer. */
  restore(answer: string): string;
}

export function redactPii(text: string): Redaction {
  return redactWith(text, new Map());
}

/**
 * Redact several texts (a conversation) with one shared placeholder table, so `[EMAIL_1]` means the
 * same address in every message.
 */
export function redactAll(texts: string[]): {
  texts: string[];
  spans: PiiSpan[];
  restore(answer: string): string;
} {
  const table = new Map<string, string>();
  const results = texts.map((t) => redactWith(t, table));
  return {
    texts: results.map((r) => r.text),
    spans: results.flatMap((r) => r.spans),
    restore: (answer) => restoreWith(answer, table),
  };
}

function redactWith(text: string, table: Map<string, string>): Redaction {
  const spans = detectPii(text);
  const byValue = new Map<string, string>();
  for (const [placeholder, value] of table) byValue.set(value, placeholder);
  const counts = new Map<PiiKind, number>();
  for (const placeholder of table.keys()) {
    const kind = (Object.keys(LABEL) as PiiKind[]).find((k) => placeholder.startsWith(`[${LABEL[k]}_`));
    if (kind) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  let out = '';
  let cursor = 0;
  for (const span of spans) {
    let placeholder = byValue.get(span.value);
    if (!placeholder) {
      const n = (counts.get(span.kind) ?? 0) + 1;
      counts.set(span.kind, n);
      placeholder = `[${LABEL[span.kind]}_${n}]`;
      byValue.set(span.value, placeholder);
      table.set(placeholder, span.value);
    }
    out += text.slice(cursor, span.start) + placeholder;
    cursor = span.end;
  }
  out += text.slice(cursor);
  return { text: out, spans, placeholders: table, restore: (answer) => restoreWith(answer, table) };
}

const PLACEHOLDER = /\[?\b(EMAIL|PHONE|CARD|IBAN|NATIONAL_ID|ADDRESS)_(\d+)\b\]?/gi;

function restoreWith(answer: string, table: Map<string, string>): string {
  if (table.size === 0) return answer;
  return answer.replace(PLACEHOLDER, (whole, label: string, n: string) => {
    const value = table.get(`[${label.toUpperCase()}_${n}]`);
    return value ?? whole;
  });
}

/** What a privacy policy means for one request. */
export type PrivacyAction =
  | { action: 'send'; piiFound: boolean; spans: PiiSpan[] }
  | { action: 'redact'; piiFound: true; spans: PiiSpan[] }
  | { action: 'local-only'; piiFound: true; spans: PiiSpan[] };

/** Decide what the policy does with this text: send as is, redact before sending, or keep it on the device. */
export function privacyAction(text: string, policy: PrivacyPolicy): PrivacyAction {
  const spans = detectPii(text);
  if (spans.length === 0 || policy === 'allow') return { action: 'send', piiFound: spans.length > 0, spans };
  return { action: policy, piiFound: true, spans };
}
