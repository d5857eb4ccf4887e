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
  const after = tail.toString();
  // Range text has no line breaks between blocks or at <br>: put one back where the caret's line ends,
  // so "end of a line with more lines below" does not read as "in the middle of a word"
  return { before: head.toString(), after: after && lineEndsAt(el, caret) ? `\n${after}` : after };
}

const BLOCK_DISPLAY = /^(block|flex|grid|list-item|table|table-row|table-cell|flow-root)$/;

/** True when nothing but whitespace follows the caret before its block ends or the next <br>. */
function lineEndsAt(root: HTMLElement, caret: Range): boolean {
  let block: Node = root;
  for (let n: Node | null = caret.startContainer; n && n !== root; n = n.parentNode) {
    if (n instanceof Element && BLOCK_DISPLAY.test(getComputedStyle(n).display)) {
      block = n;
      break;
    }
  }
  const rest = root.ownerDocument.createRange();
  rest.selectNodeContents(block);
  rest.setStart(caret.startContainer, caret.startOffset);
  const walker = root.ownerDocument.createTreeWalker(rest.cloneContents(), NodeFilter.SHOW_ALL);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.nodeName === 'BR') return true;
    if (n instanceof Element && n.nodeName !== 'SPAN' && BLOCK_DISPLAY.test(blockDisplayOf(n))) return true;
    if (n.nodeType === Node.TEXT_NODE && /\S/.test(n.nodeValue ?? '')) return false;
  }
  // the caret's block has no more text: the next text (if any) is on another line, unless the caret
  // is in the field's own inline text
  return block !== root;
}

/** Display of an element from a cloned fragment (no computed style there): by tag, like a UA sheet. */
function blockDisplayOf(el: Element): string {
  return /^(DIV|P|LI|UL|OL|H[1-6]|BLOCKQUOTE|PRE|TABLE|TR|TD|TH|SECTION|ARTICLE)$/.test(el.nodeName)
    ? 'block'
    : 'inline';
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
