import { describe, expect, it } from 'vitest';
import { hashSplit, parseCsv } from './router-data.ts';

describe('parseCsv', () => {
  it('handles quoted commas, doubled quotes and newlines inside fields', () => {
    const rows = parseCsv('a,b,c\n"x, y","say ""hi""","line1\nline2"\r\n1,2,3\n');
    expect(rows).toEqual([
      { a: 'x, y', b: 'say "hi"', c: 'line1\nline2' },
      { a: '1', b: '2', c: '3' },
    ]);
  });
});

describe('hashSplit', () => {
  it('is stable and puts about 70% in train', () => {
    expect(hashSplit('hello')).toBe(hashSplit('hello'));
    const n = 2000;
    const train = Array.from({ length: n }, (_, i) => hashSplit(`prompt ${i}`)).filter(
      (s) => s === 'train',
    ).length;
    expect(train / n).toBeGreaterThan(0.65);
    expect(train / n).toBeLessThan(0.75);
  });
});
