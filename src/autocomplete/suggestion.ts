/**
 * Pure rules for one ghost-text suggestion: cleaning what the model produced, typing through it,
 * and accepting it word by word. No DOM; the controller in ghost-text.ts calls these.
 */

/** Longest suggestion shown, in characters (a ghost is a hint, not a paragraph). */
export const MAX_SUGGESTION_CHARS = 120;

/**
 * Turns a raw model continuation into what is shown after the caret, or '' for nothing:
 * - only the first line (a ghost never adds line breaks);
 * - no leading space when the text before the caret already ends in whitespace;
 * - the part that the text after the caret already contains is cut off (the model sees only the
 *   text before the caret, so it may re-type what follows it);
 * - at most {@link MAX_SUGGESTION_CHARS}, cut at a word boundary.
 */
export function cleanSuggestion(raw: string, before: string, after: string): string {
  let text = raw.replace(/\r/g, '');
  const newline = text.indexOf('\n');
  if (newline >= 0) text = text.slice(0, newline);
  if (/\s$/.test(before) || before.length === 0) text = text.replace(/^[ \t]+/, '');
  text = text.replace(/[ \t]+$/, '');
  const afterLine = after.split('\n', 1)[0]!.trimStart();
  if (afterLine.length > 0) {
    // Drop a tail of the suggestion that the text after the caret already starts with.
    for (let k = Math.min(text.length, afterLine.length); k > 0; k -= 1) {
      if (text.endsWith(afterLine.slice(0, k))) {
        text = text.slice(0, text.length - k).replace(/[ \t]+$/, '');
        break;
      }
    }
  }
  if (text.length > MAX_SUGGESTION_CHARS) {
    const cut = text.lastIndexOf(' ', MAX_SUGGESTION_CHARS);
    text = text.slice(0, cut > 0 ? cut : MAX_SUGGESTION_CHARS);
  }
  return text.trim().length === 0 ? '' : text;
}

/**
 * What to show of a continuation that is still arriving (streamed), or '' for nothing yet: the
 * whole words received so far, cleaned by {@link cleanSuggestion}'s rules. A word counts once
 * something follows it (a space or a line break), so the ghost never shows half a word that the
 * next token would change; a line break ends the first line, which is then complete.
 */
export function partialSuggestion(raw: string, before: string, after: string): string {
  const text = raw.replace(/\r/g, '');
  const newline = text.indexOf('\n');
  if (newline >= 0) return cleanSuggestion(text.slice(0, newline), before, after);
  const words = dropUnfinishedWord(text);
  return words ? cleanSuggestion(words, before, after) : '';
}

/**
 * A continuation cut off by the token limit may end inside a word: keep only its whole words
 * ('' when it is one unfinished word). Line breaks and text after them are kept for
 * {@link cleanSuggestion} to judge.
 */
export function dropUnfinishedWord(text: string): string {
  const end = /\S\s+\S*$/.exec(text);
  return end ? text.slice(0, end.index + 1) : '';
}

/**
 * The person typed while a suggestion showed. `anchor` is the text before the caret when the
 * suggestion appeared, `current` the text before the caret now. Returns what is left of the
 * suggestion when they typed its next characters (typing through keeps the rest), or null when
 * they typed something else (the suggestion goes away).
 */
export function typeThrough(anchor: string, suggestion: string, current: string): string | null {
  if (!current.startsWith(anchor)) return null;
  const typed = current.slice(anchor.length);
  if (!suggestion.startsWith(typed)) return null;
  const rest = suggestion.slice(typed.length);
  return rest.length > 0 ? rest : null;
}

/** The next word of a suggestion (leading spaces included), as Ctrl/Cmd+Right accepts it. */
export function nextWord(suggestion: string): string {
  const match = /^\s*\S+/.exec(suggestion);
  return match ? match[0] : suggestion;
}
