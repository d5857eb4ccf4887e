export { GhostTextController } from './ghost-text.ts';
export type {
  GhostTextOptions,
  GhostTiming,
  Suggest,
  SuggestRequest,
  SuggestResponse,
} from './ghost-text.ts';
export { editableRoot, ineligibleReason, isEligible, writingSuggestionsOff } from './eligibility.ts';
export type { EditableField } from './eligibility.ts';
export { caretText, insertAtCaret } from './caret.ts';
export { COPIED_STYLES, GhostOverlay, HOST_TAG } from './overlay.ts';
export {
  cleanSuggestion,
  dropUnfinishedWord,
  nextWord,
  partialSuggestion,
  typeThrough,
  MAX_SUGGESTION_CHARS,
} from './suggestion.ts';
export {
  PrefixBudget,
  prefixBudgetChars,
  prefixWindow,
  DEFAULT_PREFIX_CHARS,
  MAX_PREFIX_CHARS,
  MIN_PREFIX_CHARS,
} from './prefix-window.ts';
export type { PrefixWindow } from './prefix-window.ts';
