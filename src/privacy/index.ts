/**
 * Privacy: find personal data (e-mail, phone, card, IBAN, national IDs, street addresses) in text about
 * to leave the device, and apply the site's policy (`allow | redact | local-only`). Pure TypeScript.
 *
 * ```ts
 * const { text, restore } = redactPii('Mail me at ann@example.com'); // 'Mail me at [EMAIL_1]'
 * restore('I wrote to [EMAIL_1].');                                  // 'I wrote to ann@example.com.'
 * ```
 */
export { detectPii, luhnValid, ibanValid } from './detect.ts';
export type { PiiKind, PiiSpan } from './detect.ts';
export { redactPii, redactAll, privacyAction } from './redact.ts';
export type { Redaction, PrivacyAction } from './redact.ts';
