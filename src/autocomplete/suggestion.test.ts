import { describe, expect, it } from 'vitest';
import {
  cleanSuggestion,
  dropUnfinishedWord,
  MAX_SUGGESTION_CHARS,
  nextWord,
  partialSuggestion,
  typeThrough,
} from './suggestion.ts';

describe('cleanSuggestion', () => {
  it('keeps only the first line and trims trailing space', () => {
    expect(cleanSuggestion(' world  \nsecond line', 'hello', '')).toBe(' world');
  });
  it('drops the leading space when the text already ends in one', () => {
    expect(cleanSuggestion('  world', 'hello ', '')).toBe('world');
  });
  it('cuts what the text after the caret already says', () => {
    expect(cleanSuggestion(' brown fox jumps', 'the quick', ' fox jumps over')).toBe(' brown');
  });
  it('returns nothing for whitespace', () => {
    expect(cleanSuggestion('   \n', 'x', '')).toBe('');
  });
  it('caps long continuations at a word boundary', () => {
    const text = cleanSuggestion(' word'.repeat(60), 'a', '');
    expect(text.length).toBeLessThanOrEqual(MAX_SUGGESTION_CHARS);
    expect(text.endsWith('word')).toBe(true);
  });
});

describe('partialSuggestion', () => {
  it('shows nothing until a first whole word exists', () => {
    expect(partialSuggestion(' wor', 'hello', '')).toBe('');
    expect(partialSuggestion(' world', 'hello', '')).toBe('');
    expect(partialSuggestion(' world,', 'hello', '')).toBe('');
    expect(partialSuggestion(' world, f', 'hello', '')).toBe(' world,');
  });
  it('grows word by word as more arrives', () => {
    expect(partialSuggestion(' world, from a ti', 'hello', '')).toBe(' world, from a');
    expect(partialSuggestion(' world, from a tiny ', 'hello', '')).toBe(' world, from a tiny');
  });
  it('a line break completes the first line', () => {
    expect(partialSuggestion(' world.\nNext', 'hello', '')).toBe(' world.');
  });
  it('applies the same cleaning as the final suggestion', () => {
    expect(partialSuggestion('  world again', 'hello ', '')).toBe('world');
    expect(partialSuggestion(' brown fox jumps', 'the quick', ' fox jumps over')).toBe(' brown');
    expect(partialSuggestion(' x'.repeat(100), 'a', '').length).toBeLessThanOrEqual(MAX_SUGGESTION_CHARS);
  });
});

describe('dropUnfinishedWord', () => {
  it('cuts the word the token limit broke off', () => {
    expect(dropUnfinishedWord(' alpha beta gamma bet')).toBe(' alpha beta gamma');
    expect(dropUnfinishedWord(' alpha beta ')).toBe(' alpha beta');
    expect(dropUnfinishedWord(' alph')).toBe('');
  });
});

describe('typeThrough', () => {
  it('keeps the rest when the typed characters match', () => {
    expect(typeThrough('Hello', ' world again', 'Hello wo')).toBe('rld again');
  });
  it('drops the suggestion on a different character', () => {
    expect(typeThrough('Hello', ' world', 'Hello x')).toBeNull();
  });
  it('ends when everything was typed', () => {
    expect(typeThrough('Hello', ' world', 'Hello world')).toBeNull();
  });
  it('drops the suggestion after a deletion', () => {
    expect(typeThrough('Hello', ' world', 'Hell')).toBeNull();
  });
});

describe('nextWord', () => {
  it('takes leading spaces and one word', () => {
    expect(nextWord(' quick brown')).toBe(' quick');
    expect(nextWord('fox')).toBe('fox');
  });
});
