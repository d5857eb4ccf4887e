/**
 * Which fields get ghost text. DOM note: reads element attributes and computed state only; it never
 * changes the page.
 *
 * Never: password fields, fields whose autocomplete token names a secret, `autocomplete="off"` fields
 * with a sensitive name, anything under `writingsuggestions="false"`, read-only or disabled fields,
 * and fields that opt out with `data-tier-assist="off"`.
 */

export type EditableField = HTMLTextAreaElement | HTMLInputElement | HTMLElement;

/** Input types that hold free text. */
const TEXT_INPUT_TYPES = new Set(['text', 'search', '']);

/** Autocomplete tokens that always mean a secret or payment data. */
const SECRET_AUTOCOMPLETE =
  /\b(current-password|new-password|one-time-code|cc-number|cc-csc|cc-exp|cc-exp-month|cc-exp-year|cc-name|cc-type)\b/i;

/** Names that, together with autocomplete="off", mark a sensitive field. */
export const SENSITIVE_NAME =
  /(pass|pwd|pin\b|otp|one.?time|2fa|mfa|totp|card|ccnum|cc-|cvv|cvc|ssn|social.?security|secret|token|api.?key|iban|account.?(no|num)|routing|security.?(code|answer)|tax.?id|passport)/i;

function isTextInput(el: Element): el is HTMLInputElement {
  return el.localName === 'input' && TEXT_INPUT_TYPES.has((el.getAttribute('type') ?? '').toLowerCase());
}

/** The element a person edits when `el` has focus: the field itself, or a contenteditable's editing host. */
export function editableRoot(el: Element | null): EditableField | null {
  if (!el) return null;
  if (el.localName === 'textarea') return el as HTMLTextAreaElement;
  if (el.localName === 'input') return isTextInput(el) ? (el as HTMLInputElement) : null;
  const html = el as HTMLElement;
  if (!html.isContentEditable) return null;
  // Climb to the editing host (the outermost contenteditable ancestor).
  let host: HTMLElement = html;
  while (host.parentElement?.isContentEditable) host = host.parentElement;
  return host;
}

/** True when `writingsuggestions="false"` applies to `el` (the attribute inherits, like `lang`). */
export function writingSuggestionsOff(el: Element): boolean {
  let node: Element | null = el;
  while (node) {
    const value = node.getAttribute('writingsuggestions');
    if (value !== null) return value.toLowerCase() === 'false';
    node = node.parentElement ?? ((node.getRootNode() as ShadowRoot).host || null);
  }
  return false;
}

function labelText(el: Element): string {
  return [
    el.getAttribute('name'),
    el.id,
    el.getAttribute('aria-label'),
    el.getAttribute('placeholder'),
    el.getAttribute('autocomplete'),
  ]
    .filter(Boolean)
    .join(' ');
}

/** Why a field gets no suggestions, or null when it may get them. */
export function ineligibleReason(el: Element): string | null {
  if (el.localName === 'input') {
    const type = (el.getAttribute('type') ?? '').toLowerCase();
    if (type === 'password') return 'password field';
    if (!isTextInput(el)) return `input type "${type}"`;
  }
  const field = el as HTMLInputElement;
  if (field.disabled || field.readOnly) return 'disabled or read-only';
  if (el.getAttribute('data-tier-assist') === 'off') return 'opted out with data-tier-assist="off"';
  const autocomplete = el.getAttribute('autocomplete') ?? '';
  if (SECRET_AUTOCOMPLETE.test(autocomplete)) return `autocomplete="${autocomplete}"`;
  if (autocomplete.trim().toLowerCase() === 'off' && SENSITIVE_NAME.test(labelText(el)))
    return 'autocomplete="off" with a sensitive name';
  if (writingSuggestionsOff(el)) return 'writingsuggestions="false"';
  return null;
}

export function isEligible(el: Element): boolean {
  return ineligibleReason(el) === null;
}
