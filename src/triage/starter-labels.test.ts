import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STARTER_LABELS } from './starter-labels.ts';

describe('STARTER_LABELS', () => {
  it('are exactly the committed starter model’s labels, in order', () => {
    const model = JSON.parse(readFileSync(new URL('./starter-model.json', import.meta.url), 'utf8')) as {
      labels: string[];
    };
    expect([...STARTER_LABELS]).toEqual(model.labels);
  });
});
