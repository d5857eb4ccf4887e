/**
 * Draws the grey suggestion after the caret without touching the page's DOM tree around the field.
 * DOM note: mounts one host element (`<tier-ghost-text>`, a plain element with a shadow root) at
 * the end of the document; everything it draws lives in that shadow root and ignores the pointer.
 *
 * - textarea / input: a mirror box over the field with the same box and font metrics; the text
 *   before the caret is laid out invisibly, so the grey text starts exactly at the caret, wraps like
 *   the field and scrolls with it;
 * - contenteditable: a single grey line at the caret's client rect (the editor's DOM is untouched).
 */
import { isTextControl, selectionFor } from './caret.ts';
import type { EditableField } from './eligibility.ts';

/** The field's box and font styles a mirror copies to lay text out as the field does. */
export const COPIED_STYLES = [
  'boxSizing',
  'fontFamily',
  'fontSize',
  'fontWeight',
  'fontStyle',
  'fontVariant',
  'fontStretch',
  'letterSpacing',
  'wordSpacing',
  'textTransform',
  'textIndent',
  'textAlign',
  'direction',
  'tabSize',
  'lineHeight',
  'paddingTop',
  'paddingRight',
  'paddingBottom',
  'paddingLeft',
  'borderTopWidth',
  'borderRightWidth',
  'borderBottomWidth',
  'borderLeftWidth',
] as const;

const CSS = `
:host { all: initial; }
.layer { position: fixed; inset: 0 auto auto 0; width: 0; height: 0; z-index: 2147483647; pointer-events: none; }
.mirror { position: fixed; overflow: hidden; border-style: solid; border-color: transparent; color: transparent;
  background: transparent; margin: 0; pointer-events: none; }
.caret { position: fixed; white-space: pre; pointer-events: none; }
.ghost { color: var(--tier-ghost-color, #8a8a8a); opacity: 0.9; }
`;

export const HOST_TAG = 'tier-ghost-text';

export class GhostOverlay {
  readonly host: HTMLElement;
  readonly #layer: HTMLDivElement;
  readonly #doc: Document;
  #box: HTMLDivElement | null = null;

  constructor(doc: Document) {
    this.#doc = doc;
    this.host = doc.createElement(HOST_TAG);
    this.host.dataset.state = 'idle';
    const shadow = this.host.attachShadow({ mode: 'open' });
    this.#layer = doc.createElement('div');
    this.#layer.className = 'layer';
    this.#layer.setAttribute('aria-hidden', 'true');
    // A constructed stylesheet is not an inline <style>, so a page's strict style-src CSP cannot block it.
    const View = doc.defaultView as (Window & typeof globalThis) | null;
    try {
      if (!View) throw new Error('no window');
      const sheet = new View.CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
    } catch {
      const style = doc.createElement('style');
      style.textContent = CSS;
      shadow.append(style);
    }
    shadow.append(this.#layer);
  }

  get mounted(): boolean {
    return this.host.isConnected;
  }

  /** The suggestion currently drawn ('' when none). */
  get text(): string {
    return this.#box?.querySelector('.ghost')?.textContent ?? '';
  }

  /** Draws `suggestion` after the caret; `streaming`: partial, more is on its way (state `streaming`). */
  show(field: EditableField, before: string, suggestion: string, streaming = false): void {
    if (!this.host.isConnected) this.#doc.documentElement.append(this.host);
    this.#box?.remove();
    this.#box = isTextControl(field)
      ? this.#mirror(field, before, suggestion)
      : this.#atCaret(field, suggestion);
    if (!this.#box) {
      this.hide();
      return;
    }
    this.#layer.append(this.#box);
    if (isTextControl(field)) {
      this.#box.scrollTop = field.scrollTop;
      this.#box.scrollLeft = field.scrollLeft;
    }
    this.host.dataset.state = streaming ? 'streaming' : 'visible';
  }

  hide(): void {
    this.#box?.remove();
    this.#box = null;
    this.host.dataset.state = 'idle';
  }

  set state(value: 'idle' | 'pending' | 'streaming' | 'visible') {
    this.host.dataset.state = value;
  }

  destroy(): void {
    this.hide();
    this.host.remove();
  }

  #mirror(field: HTMLTextAreaElement | HTMLInputElement, before: string, suggestion: string): HTMLDivElement {
    const doc = this.#doc;
    const view = doc.defaultView!;
    const computed = view.getComputedStyle(field);
    const rect = field.getBoundingClientRect();
    const box = doc.createElement('div');
    box.className = 'mirror';
    for (const name of COPIED_STYLES) box.style[name] = computed[name];
    const isInput = field.localName === 'input';
    box.style.whiteSpace = isInput ? 'pre' : 'pre-wrap';
    box.style.overflowWrap = isInput ? 'normal' : 'break-word';
    box.style.left = `${rect.left}px`;
    box.style.top = `${rect.top}px`;
    box.style.width = `${rect.width}px`;
    box.style.height = `${rect.height}px`;
    if (isInput) {
      // Inputs centre one line vertically; a block does that with a line-height of the content box.
      const inner = field.clientHeight - parseFloat(computed.paddingTop) - parseFloat(computed.paddingBottom);
      box.style.lineHeight = `${Math.max(inner, 0)}px`;
    }
    const head = doc.createElement('span');
    head.textContent = before;
    const ghost = doc.createElement('span');
    ghost.className = 'ghost';
    ghost.textContent = suggestion;
    box.append(head, ghost);
    return box;
  }

  #atCaret(field: EditableField, suggestion: string): HTMLDivElement | null {
    const selection = selectionFor(field);
    if (!selection || selection.rangeCount === 0) return null;
    const range = selection.getRangeAt(0).cloneRange();
    range.collapse(true);
    let rect = range.getClientRects()[0] ?? null;
    const anchor =
      range.startContainer.nodeType === Node.ELEMENT_NODE
        ? (range.startContainer as Element)
        : range.startContainer.parentElement;
    const view = this.#doc.defaultView!;
    const computed = view.getComputedStyle(anchor ?? field);
    if (!rect || (rect.width === 0 && rect.height === 0 && rect.left === 0 && rect.top === 0)) {
      // An empty line has no client rect: fall back to the start of the editor's content box.
      const host = (anchor ?? field).getBoundingClientRect();
      rect = new DOMRect(
        host.left + parseFloat(computed.paddingLeft),
        host.top + parseFloat(computed.paddingTop),
        0,
        parseFloat(computed.lineHeight) || host.height,
      );
    }
    const fieldRect = field.getBoundingClientRect();
    const box = this.#doc.createElement('div');
    box.className = 'caret';
    for (const name of [
      'fontFamily',
      'fontSize',
      'fontWeight',
      'fontStyle',
      'letterSpacing',
      'wordSpacing',
    ] as const)
      box.style[name] = computed[name];
    box.style.left = `${rect.right}px`;
    box.style.top = `${rect.top}px`;
    box.style.lineHeight = `${rect.height}px`;
    box.style.maxWidth = `${Math.max(fieldRect.right - rect.right, 0)}px`;
    box.style.overflow = 'hidden';
    const ghost = this.#doc.createElement('span');
    ghost.className = 'ghost';
    ghost.textContent = suggestion;
    box.append(ghost);
    return box;
  }
}
