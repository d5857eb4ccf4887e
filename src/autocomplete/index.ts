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
export { cleanSuggestion, nextWord, typeThrough, MAX_SUGGESTION_CHARS } from './suggestion.ts';
