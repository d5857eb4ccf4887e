/**
 * Where inline ghost text may be drawn: only when nothing but whitespace follows the caret on its
 * line. The ghost is drawn after the caret, on top of the field; with text after the caret on the
 * same line it would cover that text (and reading "hello|world" plus a grey guess between them helps
 * nobody), so the content script asks for no suggestion there at all.
 *
 * - textarea / input: the text after the caret up to the next line break (a soft-wrapped logical
 *   line counts as one line: its tail is drawn where the ghost would go);
 * - contenteditable: the first non-space character after the caret inside the editing host, and
 *   whether it is laid out on the caret's line (block elements and `<br>` start new lines, which the
 *   text of a Range does not show), read from the layout.
 * DOM note: reads the focused element, selection and client rects; changes nothing.
 */

import { COPIED_STYLES } from '../../src/autocomplete/index.ts';

/** The focused element, through open shadow roots and same-origin iframes. */
export function deepActiveElement(doc: Document): Element | null {
  let el: Element | null = doc.activeElement;
  for (let depth = 0; el && depth < 32; depth++) {
    const inner = el.shadowRoot?.activeElement;
    if (inner) {
      el = inner;
      continue;
    }
    if (el.localName === 'iframe') {
      let frameDoc: Document | null = null;
      try {
        frameDoc = (el as HTMLIFrameElement).contentDocument;
      } catch {
        frameDoc = null; // cross-origin: not ours
      }
      if (frameDoc?.activeElement && frameDoc.activeElement !== frameDoc.body) {
        el = frameDoc.activeElement;
        continue;
      }
    }
    break;
  }
  return el;
}

function isTextControl(el: Element): el is HTMLTextAreaElement | HTMLInputElement {
  return el.localName === 'textarea' || el.localName === 'input';
}

/** The part of `after` (text after the caret) on the caret's logical line. */
export function restOfLine(after: string): string {
  return after.split('\n', 1)[0] ?? '';
}

function selectionOf(el: Element): Selection | null {
  const root = el.getRootNode() as Document | (ShadowRoot & { getSelection?: () => Selection | null });
  if ('getSelection' in root && typeof root.getSelection === 'function') {
    const selection = root.getSelection();
    if (selection) return selection;
  }
  return el.ownerDocument.getSelection();
}

function editingHost(el: Element): HTMLElement | null {
  let node: Element | null = el;
  let host: HTMLElement | null = null;
  while (node) {
    if (node instanceof node.ownerDocument.defaultView!.HTMLElement && node.isContentEditable) host = node;
    node = node.parentElement;
  }
  return host;
}

/** The first non-whitespace character after the caret inside `host`, as a one-character range. */
function nextCharacter(host: Element, caret: Range): Range | null {
  const doc = host.ownerDocument;
  const tail = doc.createRange();
  tail.selectNodeContents(host);
  tail.setStart(caret.startContainer, caret.startOffset);
  const walker = doc.createTreeWalker(host, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!tail.intersectsNode(node)) continue;
    const data = node.textContent ?? '';
    for (let i = node === tail.startContainer ? tail.startOffset : 0; i < data.length; i++) {
      if (/\s/.test(data[i]!)) continue;
      const range = doc.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      return range;
    }
  }
  return null;
}

function lineBox(rects: DOMRectList | DOMRect[]): DOMRect | null {
  for (const rect of Array.from(rects)) if (rect.height > 0 || rect.width > 0) return rect;
  return null;
}

/**
 * True when text (not just whitespace) follows the caret on its line in the focused field of `doc`;
 * `after` is the text after the caret as the ghost-text controller read it.
 */
export function textFollowsCaret(doc: Document, after: string): boolean {
  const el = deepActiveElement(doc);
  if (!el || isTextControl(el)) return /\S/.test(restOfLine(after));
  const host = editingHost(el);
  const selection = host ? selectionOf(host) : null;
  if (!host || !selection || selection.rangeCount === 0) return /\S/.test(restOfLine(after));
  const caret = selection.getRangeAt(0).cloneRange();
  caret.collapse(true);
  const next = nextCharacter(host, caret);
  if (!next) return false; // nothing but whitespace after the caret
  const at = lineBox(caret.getClientRects());
  const char = lineBox(next.getClientRects());
  if (!at || !char) return /\S/.test(restOfLine(after));
  // Same line when the two boxes overlap vertically by more than half the shorter one.
  const overlap = Math.min(at.bottom, char.bottom) - Math.max(at.top, char.top);
  return overlap > Math.min(at.height || char.height, char.height) / 2;
}

/**
 * In a textarea with text below the caret's line, a ghost that wraps would be drawn over the next
 * line. Returns the longest word-boundary prefix of `suggestion` that stays on the caret's visual
 * line ('' when not even one word fits), laid out with the field's font and line width (a hidden
 * element of our own, removed right after).
 */
export function fitToLine(field: HTMLTextAreaElement, before: string, suggestion: string): string {
  const doc = field.ownerDocument;
  const view = doc.defaultView;
  if (!view || !suggestion) return suggestion;
  const computed = view.getComputedStyle(field);
  const host = doc.createElement('tier-ghost-measure');
  const shadow = host.attachShadow({ mode: 'closed' });
  const box = doc.createElement('div');
  for (const name of COPIED_STYLES) box.style[name] = computed[name];
  Object.assign(box.style, {
    position: 'fixed',
    left: '-100000px',
    top: '0',
    visibility: 'hidden',
    borderStyle: 'solid',
    whiteSpace: 'pre-wrap',
    overflowWrap: 'break-word',
    // The field's own line width (its border box, whatever its box-sizing): where its text wraps.
    boxSizing: 'border-box',
    width: `${field.getBoundingClientRect().width}px`,
    height: 'auto',
  });
  const head = doc.createElement('span');
  head.textContent = before;
  const ghost = doc.createElement('span');
  box.append(head, ghost);
  shadow.append(box);
  doc.documentElement.append(host);
  const lines = (text: string): number => {
    ghost.textContent = text;
    const tops = new Set<number>();
    for (const rect of Array.from(ghost.getClientRects())) if (rect.width > 0) tops.add(Math.round(rect.top));
    return tops.size;
  };
  try {
    if (lines(suggestion) <= 1) return suggestion;
    let text = suggestion;
    for (;;) {
      const space = text.trimEnd().lastIndexOf(' ');
      if (space <= 0) return '';
      text = text.slice(0, space);
      if (text.trim() && lines(text) <= 1) return text;
    }
  } finally {
    host.remove();
  }
}
