/** Checks a pasted or received ticket before triage; every refusal says what to do instead. Pure. */
import { InvalidInputError, PayloadTooLargeError } from '../errors.ts';

/** Longest ticket accepted (characters); a support message is far shorter. */
export const MAX_TICKET_CHARS = 100_000;

/** Returns the trimmed ticket text or throws InvalidInputError / PayloadTooLargeError. */
export function checkTicket(text: unknown): string {
  if (typeof text !== 'string')
    throw new InvalidInputError('A ticket must be text: paste the customer message.');
  const trimmed = text.trim();
  if (!trimmed) throw new InvalidInputError('The ticket is empty: paste the customer message first.');
  if (trimmed.length > MAX_TICKET_CHARS) {
    throw new PayloadTooLargeError(
      `The ticket is ${trimmed.length.toLocaleString('en')} characters long; the limit is ${MAX_TICKET_CHARS.toLocaleString('en')}. Paste only the customer message, not a whole log or attachment.`,
      { data: { length: trimmed.length, limit: MAX_TICKET_CHARS } },
    );
  }
  let odd = 0;
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 0xfffd || c === 0x7f) odd++;
  }
  if (odd > 0 && (trimmed.includes('\u0000') || odd / trimmed.length > 0.01)) {
    throw new InvalidInputError(
      'This looks like binary data (a file?), not a message: paste the text of the ticket instead.',
    );
  }
  return trimmed;
}
