/**
 * Which part of the text before the caret a ghost-text prompt uses, and how long it may be.
 * Pure: no DOM, no engine; the engine host (extension/offscreen/engine-host.ts) and the content
 * script call these.
 *
 * Why a window that stays put: the engine keeps the previous prompt's KV cache and reuses its
 * longest common prefix (llama-server's `cache_prompt`). A prompt cut as `before.slice(-N)` starts
 * one character later on every keystroke, so nothing is ever reused and every keystroke pays the
 * whole prefill again. Here the start is a function of the text's own offsets, quantised to steps
 * and snapped to a sentence or word start that lies far behind the caret, so typing (which only
 * appends at the caret) leaves it where it is; each new prompt extends the previous one and only
 * the new characters are evaluated. The window re-anchors one step further on when it outgrows its
 * maximum: one cold prefill per `step` characters typed, not per keystroke.
 */

/** Characters per token of real BPE tokenizers on English text (Llama 3, Qwen, SmolLM: ~4). */
export const CHARS_PER_TOKEN = 4;

/**
 * Seconds a cold prefix (a new field, or a re-anchor) may take to evaluate. One second: a cold
 * prefill happens once when a person starts on a field and then once per step (a quarter of the
 * window) typed, never per keystroke; in between, each keystroke evaluates only its new tokens.
 * One second for the first suggestion in a field is still sooner than a person reads the field and
 * types a few words, and it buys ~4x more context than a 200 ms budget would on the same device.
 */
export const COLD_PREFILL_BUDGET_S = 1;

/** Shortest window (chars): less context than a sentence or two makes continuations guesswork. */
export const MIN_PREFIX_CHARS = 256;
/**
 * Longest window (chars): past ~2,000 characters (~500 tokens) a continuation of the current line
 * barely changes, while every re-anchor pays for all of it.
 */
export const MAX_PREFIX_CHARS = 2048;
/**
 * Window before anything is measured: the floor. The first suggestion also loads the model, and the
 * device may be one where even 64 tokens take seconds (the 1B shape prefills ~1.6 tok/s on one wasm
 * thread); from the second suggestion on the measured speed decides.
 */
export const DEFAULT_PREFIX_CHARS = MIN_PREFIX_CHARS;

/**
 * The window's maximum length in characters for a measured prefill speed (tokens/s), so that a
 * cold prefix takes about {@link COLD_PREFILL_BUDGET_S}: rounded down to a power of two (so a
 * speed that wobbles between suggestions does not move the window and spoil the cache) and kept
 * within [{@link MIN_PREFIX_CHARS}, {@link MAX_PREFIX_CHARS}]. Nothing measured (undefined, 0,
 * NaN): {@link DEFAULT_PREFIX_CHARS}.
 */
export function prefixBudgetChars(prefillTokPerSec: number | undefined): number {
  if (prefillTokPerSec === undefined || !Number.isFinite(prefillTokPerSec) || prefillTokPerSec <= 0)
    return DEFAULT_PREFIX_CHARS;
  const chars = prefillTokPerSec * COLD_PREFILL_BUDGET_S * CHARS_PER_TOKEN;
  if (chars <= MIN_PREFIX_CHARS) return MIN_PREFIX_CHARS;
  if (chars >= MAX_PREFIX_CHARS) return MAX_PREFIX_CHARS;
  return 2 ** Math.floor(Math.log2(chars));
}

/**
 * Keeps the window's maximum steady while the measured speed moves: the budget follows the
 * measurement only when it differs from the current one by a factor of two or more, or when the
 * device got slower than the current window allows (then a shorter window is needed now). A
 * power-of-two budget that flips with every noisy median would re-anchor (and re-evaluate) the
 * prompt on every flip.
 */
export class PrefixBudget {
  #chars: number | undefined;

  /** The maximum window for the latest measurement (call before each suggestion). */
  update(prefillTokPerSec: number | undefined): number {
    const next = prefixBudgetChars(prefillTokPerSec);
    const current = this.#chars;
    if (prefillTokPerSec === undefined || !(prefillTokPerSec > 0)) return this.chars;
    if (current === undefined) {
      this.#chars = next; // the first measurement replaces the guess
      return next;
    }
    const affordable = prefillTokPerSec * COLD_PREFILL_BUDGET_S * CHARS_PER_TOKEN;
    // Shrink when the device can no longer afford the current window (by a clear margin), grow when
    // the larger one is clearly affordable; a speed near a boundary keeps the window where it is.
    if ((next < current && affordable < current * 0.75) || (next > current && affordable >= next * 1.25))
      this.#chars = next;
    return this.chars;
  }

  /** The current maximum (the default until a speed was measured). */
  get chars(): number {
    return this.#chars ?? DEFAULT_PREFIX_CHARS;
  }
}

export interface PrefixWindow {
  /** Offset in `before` where the prompt starts. */
  start: number;
  /** `before.slice(start)`: the prompt. */
  prefix: string;
}

/**
 * The prompt for a suggestion: the end of `before`, at most `maxChars` long, starting at a place
 * that does not move while the person types (see the file comment).
 *
 * - `before` no longer than `maxChars`: the whole of it (start 0, which never moves).
 * - Otherwise the raw start is the first multiple of `step` (a quarter of `maxChars`) that leaves
 *   at most `maxChars`; so the window is between 3/4 and all of `maxChars` long and jumps one step
 *   further when typing outgrows it.
 * - The raw start is snapped forward to the start of a paragraph or sentence within half a step,
 *   else to the start of a word, else kept. That text lies at least 5/8 of the window behind the
 *   caret, where typing does not reach, so the snapped start is as stable as the raw one.
 */
export function prefixWindow(before: string, maxChars: number): PrefixWindow {
  const max = Math.max(1, Math.floor(maxChars));
  if (before.length <= max) return { start: 0, prefix: before };
  const step = Math.max(1, Math.floor(max / 4));
  const raw = Math.ceil((before.length - max) / step) * step;
  const start = snapForward(before, raw, Math.floor(step / 2));
  return { start, prefix: before.slice(start) };
}

/** The first paragraph/sentence start in [at, at + range], else the first word start, else `at`. */
function snapForward(text: string, at: number, range: number): number {
  const end = Math.min(text.length, at + range);
  let word = -1;
  for (let i = Math.max(at, 1); i <= end; i += 1) {
    const previous = text[i - 1]!;
    const here = text[i] ?? '';
    if (here === '' || /\s/.test(here)) continue;
    if (previous === '\n') return i;
    if (/\s/.test(previous)) {
      if (/[.!?]["')\]]?\s+$/.test(text.slice(Math.max(0, i - 4), i))) return i;
      if (word < 0) word = i;
    }
  }
  return word >= 0 ? word : at;
}
