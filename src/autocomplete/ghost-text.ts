/**
 * The ghost-text controller: watches a document's text fields, asks for a continuation after a
 * pause in typing, draws it in grey after the caret, and lets the person take it with Tab (all) or
 * Ctrl/Cmd+Right (one word), drop it with Esc, or type through it.
 * DOM note: listens on the document (capture phase, so open shadow roots are seen through
 * `composedPath()`); draws only inside its own overlay host; edits a field only when the person
 * accepts, through {@link insertAtCaret} (the page's `input` event fires as for typing).
 *
 * Rules: debounced (default 250 ms); one request in flight, aborted by the next keystroke; answers
 * that no longer match the field are dropped; nothing while an IME composition is active; Tab is
 * only captured while a suggestion shows; ineligible fields (see eligibility.ts) are never read.
 * Streaming: a `suggest` that reports partial text shows its whole words as they arrive (overlay
 * state `streaming`), then the final answer (`visible`); a keystroke ends the stream, and what
 * shows then stays acceptable (Tab, Ctrl/Cmd+Right, type-through) like any suggestion.
 */
import { caretText, insertAtCaret, type CaretText } from './caret.ts';
import { editableRoot, isEligible, type EditableField } from './eligibility.ts';
import { GhostOverlay } from './overlay.ts';
import { cleanSuggestion, nextWord, partialSuggestion, typeThrough } from './suggestion.ts';

export type SuggestRequest = CaretText;

export interface SuggestResponse {
  text: string;
  /** Time the engine spent generating (for the latency split), when the engine reports it. */
  engineMs?: number;
}

/**
 * Asks for a continuation. `onPartial`, when the source streams, takes the raw text generated so
 * far (cumulative, not a delta) while the request runs; the promise still settles with the whole.
 */
export type Suggest = (
  request: SuggestRequest,
  signal: AbortSignal,
  onPartial?: (textSoFar: string) => void,
) => Promise<SuggestResponse>;

/** Where the time from the last keystroke to a visible suggestion went. */
export interface GhostTiming {
  debounceMs: number;
  /** Round trip of `suggest()` (messaging + engine). */
  requestMs: number;
  engineMs: number;
  /** From the answer to the ghost laid out on screen. */
  renderMs: number;
  totalMs: number;
  /** From the last keystroke to the first words on screen, when they streamed in before the end. */
  firstWordsMs?: number;
}

export interface GhostTextOptions {
  suggest: Suggest;
  /** Pause after the last keystroke before asking (ms). */
  debounceMs?: number;
  /** Checked before every request (per-site switch, settings). */
  enabled?: () => boolean;
  /** Checked on every event; when false the controller detaches itself (extension reloaded). */
  alive?: () => boolean;
  /** Fewest non-space characters before the caret worth a suggestion. */
  minChars?: number;
  /** Also attach to same-origin iframes that have no controller of their own. */
  frames?: boolean;
  onShown?: (timing: GhostTiming) => void;
  now?: () => number;
}

const MARK = 'tierGhost';
const NAVIGATION_KEYS = new Set([
  'ArrowLeft',
  'ArrowRight',
  'ArrowUp',
  'ArrowDown',
  'Home',
  'End',
  'PageUp',
  'PageDown',
  'Backspace',
  'Delete',
  'Enter',
]);
const MODIFIER_KEYS = new Set(['Shift', 'Control', 'Alt', 'Meta', 'CapsLock', 'Fn', 'AltGraph']);

interface Shown {
  field: EditableField;
  anchor: string;
  text: string;
  /** Partial: more of it is still being generated. */
  streaming: boolean;
}

export class GhostTextController {
  readonly overlay: GhostOverlay;
  readonly #doc: Document;
  readonly #options: Required<Omit<GhostTextOptions, 'onShown'>> & Pick<GhostTextOptions, 'onShown'>;
  readonly #children: GhostTextController[] = [];
  #attached = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inflight: AbortController | undefined;
  #seq = 0;
  #composing = false;
  #inserting = false;
  #shown: Shown | null = null;
  #scheduledAt = 0;

  constructor(doc: Document, options: GhostTextOptions) {
    this.#doc = doc;
    this.#options = {
      debounceMs: 250,
      enabled: () => true,
      alive: () => true,
      minChars: 2,
      frames: false,
      now: () => performance.now(),
      ...options,
    };
    this.overlay = new GhostOverlay(doc);
  }

  /** The suggestion on screen ('' when none). */
  get suggestion(): string {
    return this.#shown?.text ?? '';
  }

  attach(): this {
    if (this.#attached) return this;
    const root = this.#doc.documentElement;
    if (root.dataset[MARK]) return this; // another controller (e.g. the frame's own content script) owns it
    root.dataset[MARK] = 'on';
    this.#attached = true;
    const win = this.#doc.defaultView;
    // Window capture runs before the page's own document/element listeners, so Tab is ours first.
    const target: EventTarget = win ?? this.#doc;
    target.addEventListener('keydown', this.#onKeyDown, true);
    this.#doc.addEventListener('input', this.#onInput, true);
    this.#doc.addEventListener('compositionstart', this.#onCompositionStart, true);
    this.#doc.addEventListener('compositionend', this.#onCompositionEnd, true);
    this.#doc.addEventListener('focusout', this.#onFocusOut, true);
    this.#doc.addEventListener('mousedown', this.#onMouseDown, true);
    this.#doc.addEventListener('scroll', this.#onScroll, { capture: true, passive: true });
    win?.addEventListener('resize', this.#onScroll, { passive: true });
    if (this.#options.frames) {
      this.#doc.addEventListener('load', this.#onFrameLoad, true);
      for (const frame of Array.from(this.#doc.querySelectorAll('iframe'))) this.#attachFrame(frame);
    }
    return this;
  }

  detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    this.#cancel();
    this.#hide();
    const win = this.#doc.defaultView;
    (win ?? this.#doc).removeEventListener('keydown', this.#onKeyDown, true);
    this.#doc.removeEventListener('input', this.#onInput, true);
    this.#doc.removeEventListener('compositionstart', this.#onCompositionStart, true);
    this.#doc.removeEventListener('compositionend', this.#onCompositionEnd, true);
    this.#doc.removeEventListener('focusout', this.#onFocusOut, true);
    this.#doc.removeEventListener('mousedown', this.#onMouseDown, true);
    this.#doc.removeEventListener('scroll', this.#onScroll, true);
    win?.removeEventListener('resize', this.#onScroll);
    this.#doc.removeEventListener('load', this.#onFrameLoad, true);
    for (const child of this.#children.splice(0)) child.detach();
    this.overlay.destroy();
    delete this.#doc.documentElement.dataset[MARK];
  }

  /** Change the debounce without re-attaching (settings changed). */
  set debounceMs(value: number) {
    this.#options.debounceMs = value;
  }

  #live(): boolean {
    if (this.#options.alive()) return true;
    this.detach();
    return false;
  }

  #fieldOf(event: Event): EditableField | null {
    const origin = event.composedPath()[0];
    return origin instanceof Element || (origin && (origin as Node).nodeType === 1)
      ? editableRoot(origin as Element)
      : null;
  }

  readonly #onInput = (event: Event): void => {
    if (!this.#live() || this.#inserting) return;
    const field = this.#fieldOf(event);
    if (!field || !isEligible(field)) {
      this.#cancel();
      this.#hide();
      return;
    }
    if (this.#composing || (event as InputEvent).isComposing) return;
    const shown = this.#shown;
    if (shown && shown.field === field) {
      const now = caretText(field);
      const rest = now ? typeThrough(shown.anchor, shown.text, now.before) : null;
      if (now && rest) {
        this.#show(field, now.before, rest);
        return;
      }
    }
    this.#hide();
    this.#schedule(field);
  };

  readonly #onKeyDown = (event: Event): void => {
    if (!this.#live()) return;
    const key = event as KeyboardEvent;
    if (key.isComposing || key.keyCode === 229) return;
    const shown = this.#shown;
    const field = this.#fieldOf(event);
    if (shown && field === shown.field) {
      const plain = !key.shiftKey && !key.ctrlKey && !key.altKey && !key.metaKey;
      // A key the ghost answers ends a stream still feeding it: what shows is what the key acts on.
      if (shown.streaming && !MODIFIER_KEYS.has(key.key)) this.#cancel();
      if (key.key === 'Tab' && plain) {
        this.#swallow(key);
        this.#accept(shown, shown.text);
        return;
      }
      if (key.key === 'ArrowRight' && (key.ctrlKey || key.metaKey) && !key.altKey && !key.shiftKey) {
        this.#swallow(key);
        this.#accept(shown, nextWord(shown.text));
        return;
      }
      if (key.key === 'Escape') {
        this.#swallow(key);
        this.#hide();
        return;
      }
    }
    if (MODIFIER_KEYS.has(key.key)) return;
    // Any other keystroke makes an in-flight answer stale.
    this.#cancel();
    if (NAVIGATION_KEYS.has(key.key)) this.#hide();
  };

  readonly #onCompositionStart = (): void => {
    this.#composing = true;
    this.#cancel();
    this.#hide();
  };

  readonly #onCompositionEnd = (event: Event): void => {
    this.#composing = false;
    const field = this.#fieldOf(event);
    if (field && isEligible(field)) this.#schedule(field);
  };

  readonly #onFocusOut = (): void => {
    this.#cancel();
    this.#hide();
  };

  readonly #onMouseDown = (): void => {
    this.#cancel();
    this.#hide();
  };

  readonly #onScroll = (): void => {
    const shown = this.#shown;
    if (shown) this.overlay.show(shown.field, shown.anchor, shown.text, shown.streaming);
  };

  readonly #onFrameLoad = (event: Event): void => {
    const target = event.target;
    if (target instanceof HTMLIFrameElement) this.#attachFrame(target);
  };

  #attachFrame(frame: HTMLIFrameElement): void {
    let doc: Document | null = null;
    try {
      doc = frame.contentDocument;
    } catch {
      doc = null; // cross-origin: its own content script (all_frames) handles it, or nothing does
    }
    if (!doc?.documentElement || doc.documentElement.dataset[MARK]) return;
    const child = new GhostTextController(doc, { ...this.#options, frames: true });
    this.#children.push(child.attach());
  }

  #swallow(event: KeyboardEvent): void {
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  #accept(shown: Shown, text: string): void {
    this.#inserting = true;
    try {
      insertAtCaret(shown.field, text);
    } finally {
      this.#inserting = false;
    }
    const rest = shown.text.slice(text.length);
    if (rest.length > 0) {
      this.#show(shown.field, shown.anchor + text, rest);
    } else {
      this.#hide();
      this.#schedule(shown.field);
    }
  }

  #show(field: EditableField, anchor: string, text: string, streaming = false): void {
    this.#shown = { field, anchor, text, streaming };
    this.overlay.show(field, anchor, text, streaming);
  }

  #hide(): void {
    if (!this.#shown && this.overlay.host.dataset.state === 'idle') return;
    this.#shown = null;
    this.overlay.hide();
  }

  #cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#seq += 1;
    this.#inflight?.abort();
    this.#inflight = undefined;
    if (this.overlay.host.dataset.state === 'pending') this.overlay.state = 'idle';
    const shown = this.#shown;
    if (shown?.streaming) {
      // The stream ends here; the words already shown stay, as a finished suggestion.
      shown.streaming = false;
      this.overlay.state = 'visible';
    }
  }

  #schedule(field: EditableField): void {
    this.#cancel();
    if (!this.#options.enabled()) return;
    this.#scheduledAt = this.#options.now();
    this.#timer = setTimeout(() => void this.#request(field), this.#options.debounceMs);
  }

  async #request(field: EditableField): Promise<void> {
    this.#timer = undefined;
    if (!this.#attached || this.#composing || !this.#options.enabled()) return;
    const doc = this.#doc;
    const active = doc.activeElement;
    if (
      active !== field &&
      !field.contains(active) &&
      (field.getRootNode() as ShadowRoot).activeElement !== field
    )
      return;
    const context = caretText(field);
    if (!context || context.before.replace(/\s/g, '').length < this.#options.minChars) return;
    // Caret inside a word: a continuation would split it.
    if (/\w$/.test(context.before) && /^\w/.test(context.after)) return;
    const seq = ++this.#seq;
    const abort = new AbortController();
    this.#inflight = abort;
    const now = this.#options.now;
    const requestStart = now();
    this.overlay.state = 'pending';
    const unchanged = (): boolean => {
      const current = caretText(field);
      return current?.before === context.before && current.after === context.after;
    };
    let firstWordsAt: number | undefined;
    const onPartial = (raw: string): void => {
      if (seq !== this.#seq || abort.signal.aborted || !unchanged()) return;
      const text = partialSuggestion(raw, context.before, context.after);
      if (!text || text === this.#shown?.text) return;
      this.#show(field, context.before, text, true);
      firstWordsAt ??= now();
    };
    let response: SuggestResponse;
    try {
      response = await this.#options.suggest(context, abort.signal, onPartial);
    } catch {
      if (seq !== this.#seq) return;
      this.#inflight = undefined;
      // Ended early (e.g. the engine host dropped it): streamed words already shown stay.
      if (this.#shown?.streaming) this.#show(field, context.before, this.#shown.text);
      else this.overlay.state = 'idle';
      return;
    }
    if (seq !== this.#seq || abort.signal.aborted) return; // stale: a newer keystroke won
    this.#inflight = undefined;
    if (!unchanged()) {
      this.#hide();
      return;
    }
    const text = cleanSuggestion(response.text, context.before, context.after);
    if (!text) {
      this.#hide();
      return;
    }
    const renderStart = now();
    this.#show(field, context.before, text);
    this.overlay.host.getBoundingClientRect(); // include layout in the render time
    const end = now();
    const requestMs = renderStart - requestStart;
    const timing: GhostTiming = {
      debounceMs: requestStart - this.#scheduledAt,
      requestMs,
      engineMs: Math.min(response.engineMs ?? 0, requestMs),
      renderMs: end - renderStart,
      totalMs: end - this.#scheduledAt,
      ...(firstWordsAt !== undefined ? { firstWordsMs: firstWordsAt - this.#scheduledAt } : {}),
    };
    this.overlay.host.dataset.timing = JSON.stringify(timing);
    this.#options.onShown?.(timing);
  }
}
