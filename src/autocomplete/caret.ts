/**
 * Text around the caret and inserting at the caret, for textarea, text input and contenteditable.
 * DOM note: reads the selection; `insertAtCaret` edits the field the way typing does (through
 * `execCommand('insertText')`, so undo works and the page's own `input` listeners fire).
 */
import type { EditableField } from './eligibility.ts';

export interface CaretText {
  before: string;
  after: string;
}

export function isTextControl(el: EditableField): el is HTMLTextAreaElement | HTMLInputElement {
  return el.localName === 'textarea' || el.localName === 'input';
}

/** The selection of the document or shadow root `el` lives in. */
export function selectionFor(el: Element): Selection | null {
  const root = el.getRootNode() as Document | (ShadowRoot & { getSelection?: () => Selection | null });
  if ('getSelection' in root && typeof root.getSelection === 'function') {
    const selection = root.getSelection();
    if (selection) return selection;
  }
  return el.ownerDocument.getSelection();
}

/** Text before and after a collapsed caret, or null when there is a selection or no caret in `el`. */
export function caretText(el: EditableField): CaretText | null {
  if (isTextControl(el)) {
    const { selectionStart, selectionEnd, value } = el;
    if (selectionStart === null || selectionStart !== selectionEnd) return null;
    return { before: value.slice(0, selectionStart), after: value.slice(selectionStart) };
  }
  const selection = selectionFor(el);
  if (!selection || selection.rangeCount === 0 || !selection.isCollapsed) return null;
  const caret = selection.getRangeAt(0);
  if (!el.contains(caret.startContainer)) return null;
  const doc = el.ownerDocument;
  const head = doc.createRange();
  head.selectNodeContents(el);
  head.setEnd(caret.startContainer, caret.startOffset);
  const tail = doc.createRange();
  tail.selectNodeContents(el);
  tail.setStart(caret.startContainer, caret.startOffset);
  return { before: head.toString(), after: tail.toString() };
}

/**
 * Inserts `text` at the caret as if typed. Uses `execCommand('insertText')` (fires `beforeinput`
 * and `input` with inputType "insertText", keeps undo); falls back to `setRangeText` plus a
 * synthetic `input` event where execCommand is unavailable.
 */
export function insertAtCaret(el: EditableField, text: string): void {
  const doc = el.ownerDocument;
  if (doc.activeElement !== el && !el.contains(doc.activeElement)) el.focus();
  let done = false;
  try {
    done = doc.execCommand('insertText', false, text);
  } catch {
    done = false;
  }
  if (done) return;
  if (isTextControl(el)) {
    const start = el.selectionStart ?? el.value.length;
    const end = el.selectionEnd ?? start;
    el.setRangeText(text, start, end, 'end');
  } else {
    const selection = selectionFor(el);
    if (!selection || selection.rangeCount === 0) return;
    const range = selection.getRangeAt(0);
    range.deleteContents();
    const node = doc.createTextNode(text);
    range.insertNode(node);
    range.setStartAfter(node);
    range.collapse(true);
    selection.removeAllRanges();
    selection.addRange(range);
  }
  el.dispatchEvent(
    new InputEvent('input', { bubbles: true, composed: true, inputType: 'insertText', data: text }),
  );
}
