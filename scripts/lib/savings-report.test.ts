import { describe, expect, it } from 'vitest';
import { bar } from './savings-report.ts';

describe('report bars', () => {
  it('draws proportional bars with eighth-cell precision', () => {
    expect(bar(1, 1, 4)).toBe('████');
    expect(bar(0.5, 1, 4)).toBe('██');
    expect(bar(1 / 16, 1, 4)).toBe('▎'); // 2 of 32 eighths
    expect(bar(0, 1, 4)).toBe('');
    expect(bar(3, 0, 4)).toBe('');
  });
});
