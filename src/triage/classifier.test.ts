import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import { mulberry32 } from '../prng.ts';
import { IntentClassifier, type LabelledText } from './classifier.ts';
import { featurize, tokenize } from './features.ts';
import {
  base64ToBytes,
  bytesToBase64,
  exportModel,
  importModel,
  toTags,
  triageJsonSchema,
  triageOutputSchema,
} from './schema.ts';

const TRAIN: LabelledText[] = [
  ...[
    'where is my parcel',
    'my package has not arrived',
    'track my delivery please',
    'when will my order arrive',
    'order still not delivered',
  ].map((text) => ({ text, label: 'delivery' })),
  ...[
    'i want my money back',
    'please refund my payment',
    'how do i get a refund',
    'refund the charge',
    'return and refund',
  ].map((text) => ({ text, label: 'refund' })),
  ...[
    'i forgot my password',
    'reset my password',
    'cannot log in to my account',
    'password reset link broken',
    'locked out of login',
  ].map((text) => ({ text, label: 'login' })),
];

function trained(): IntentClassifier {
  const model = new IntentClassifier();
  model.train(TRAIN, { epochs: 20, features: { bits: 16 } });
  return model;
}

describe('features', () => {
  it('folds case, digits and template slots so ids and placeholders are not learnt', () => {
    expect(tokenize('Cancel ORDER 113542617735902 for {{Order Number}}!')).toEqual([
      'cancel',
      'order',
      '0',
      'for',
      'qslotq',
    ]);
    expect(featurize('order 12').index).toEqual(featurize('ORDER 99999').index);
  });

  it('clips very long input instead of spending seconds on it', () => {
    const t0 = performance.now();
    const v = featurize('refund '.repeat(200_000));
    expect(performance.now() - t0).toBeLessThan(200);
    expect(v.index.length).toBeGreaterThan(0);
  });
});

describe('IntentClassifier', () => {
  it('learns the labels and ranks them with probabilities', () => {
    const model = trained();
    const p = model.predict('my parcel has still not arrived');
    expect(p.label).toBe('delivery');
    expect(p.top.map((t) => t.label)).toHaveLength(3);
    expect(p.top[0]!.p).toBeGreaterThanOrEqual(p.top[1]!.p);
    const sum = Array.from(model.probabilities('refund please')).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 6);
    expect(model.predict('could you refund me').label).toBe('refund');
    expect(model.predict('I cannot log in, password reset').label).toBe('login');
  });

  it('a correction changes the next prediction, also to a label it has never seen', () => {
    const model = trained();
    const text = 'the courier left my parcel at the wrong house';
    expect(model.predict(text).label).toBe('delivery');
    model.update([{ text, label: 'complaint' }]);
    expect(model.predict(text).label).toBe('complaint');
    expect(model.labels).toContain('complaint');
    // other tickets keep their labels
    expect(model.predict('reset my password').label).toBe('login');
  });

  it('fits an out-of-scope threshold on validation data with out-of-scope examples', () => {
    const oos = [
      'what is the weather tomorrow',
      'tell me a joke',
      'who won the football',
      'play some music',
      'how tall is everest',
      'recipe for pancakes',
    ];
    const model = new IntentClassifier();
    model.train([...TRAIN, ...oos.slice(0, 3).map((text) => ({ text, label: 'oos' }))], {
      epochs: 20,
      features: { bits: 16 },
      outOfScopeLabel: 'oos',
      validation: [
        ...oos.slice(3).map((text) => ({ text, label: 'oos' })),
        { text: 'where is my order', label: 'delivery' },
        { text: 'refund my money', label: 'refund' },
        { text: 'forgot password', label: 'login' },
      ],
    });
    expect(model.temperature).toBeGreaterThan(0);
    expect(model.predict('where is my order').outOfScope).toBe(false);
    const weird = model.predict('what is the capital of peru');
    expect(weird.outOfScope).toBe(true);
    expect(weird.label).toBe('oos');
    expect(weird.top.every((t) => t.label !== 'oos')).toBe(true);
  });

  it('learns word combinations a linear model cannot (the hidden layer)', () => {
    // "red … cat" and "blue … dog" are one label, "red … dog" and "blue … cat" the other: every word on
    // its own is as common in both labels (XOR), and filler words keep the pair out of bigrams
    const random = mulberry32(3);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const fillers = 'the a my new old big small fast slow green left right up down this that'.split(' ');
    const example = (): LabelledText => {
      const colour = pick(['red', 'blue']);
      const animal = pick(['cat', 'dog']);
      const middle = [pick(fillers), pick(fillers), pick(fillers)].join(' ');
      return {
        text: `${colour} ${middle} ${animal}`,
        label: (colour === 'red') === (animal === 'cat') ? 'same' : 'mixed',
      };
    };
    const train = Array.from({ length: 240 }, example);
    const test = Array.from({ length: 60 }, example);
    const accuracy = (model: IntentClassifier): number =>
      test.filter((e) => model.predict(e.text).label === e.label).length / test.length;
    const linear = new IntentClassifier();
    linear.train(train, { hidden: 0, features: { bits: 16 } });
    const full = new IntentClassifier();
    full.train(train, { features: { bits: 16 } });
    expect(accuracy(linear)).toBeLessThan(0.75);
    expect(accuracy(full)).toBeGreaterThan(0.9);
  });

  it('a cancelled training keeps a complete linear model', () => {
    const model = new IntentClassifier();
    const seen: number[] = [];
    model.train(TRAIN, {
      epochs: 4,
      hiddenEpochs: 6,
      features: { bits: 16 },
      onEpoch: (epoch, epochs) => {
        seen.push(epoch);
        expect(epochs).toBe(10);
        return epoch < 6;
      },
    });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(model.toState().hidden).toBeNull();
    expect(model.predict('where is my parcel').label).toBe('delivery');
  });

  it('refuses to train on nothing or predict untrained, with InvalidInputError', () => {
    expect(() => new IntentClassifier().train([])).toThrow(InvalidInputError);
    expect(() => new IntentClassifier().predict('hi')).toThrow(InvalidInputError);
  });
});

describe('model export/import', () => {
  it('round-trips exactly as f32 and closely as int8', () => {
    const model = trained();
    const json = JSON.parse(JSON.stringify(exportModel(model)));
    expect(json.hidden.size).toBe(128);
    const back = importModel(json);
    expect(back.labels).toEqual(model.labels);
    for (const t of ['where is my parcel', 'refund', 'password']) {
      expect(Array.from(back.probabilities(t))).toEqual(
        Array.from(model.probabilities(t)).map((x) => expect.closeTo(x, 5)),
      );
    }
    const small = importModel(JSON.parse(JSON.stringify(exportModel(model, 'i8'))));
    expect(small.predict('where is my parcel').label).toBe('delivery');
    expect(Math.abs(small.predict('refund').confidence - model.predict('refund').confidence)).toBeLessThan(
      0.05,
    );
  });

  it('encodes base64 like the platform, in chunks, and refuses damaged text', () => {
    const bytes = Uint8Array.from({ length: 70_001 }, (_, i) => (i * 151) & 255);
    const text = bytesToBase64(bytes);
    expect(text).toBe(Buffer.from(bytes).toString('base64'));
    expect(base64ToBytes(text)).toEqual(bytes);
    expect(bytesToBase64(new Uint8Array([255]))).toBe('/w==');
    expect(() => base64ToBytes('ab$d')).toThrow(InvalidInputError);
  });

  it('rejects files that are not models with InvalidInputError', () => {
    expect(() => importModel({ hello: 1 })).toThrow(InvalidInputError);
    const json = exportModel(trained());
    expect(() => importModel({ ...json, weights: json.weights.slice(0, 12) })).toThrow(InvalidInputError);
    expect(() => importModel({ ...json, buckets: '!!!!' })).toThrow(InvalidInputError);
    const hidden = json.hidden!;
    expect(() => importModel({ ...json, hidden: { ...hidden, out: hidden.out.slice(0, 12) } })).toThrow(
      InvalidInputError,
    );
    expect(() => importModel({ ...json, hidden: { ...hidden, size: 64 } })).toThrow(InvalidInputError);
  });

  it('loads linear-only files (no hidden layer) and prunes both layers together', () => {
    const linear = new IntentClassifier();
    linear.train(TRAIN, { epochs: 20, hidden: 0, features: { bits: 16 } });
    const json = exportModel(linear);
    expect(json.hidden).toBeUndefined();
    expect(importModel(json).predict('reset my password').label).toBe('login');

    const model = trained();
    model.prune(Math.floor(model.rows / 2));
    const pruned = importModel(JSON.parse(JSON.stringify(exportModel(model, 'i8'))));
    expect(pruned.rows).toBe(model.rows);
    expect(pruned.predict('where is my parcel').label).toBe('delivery');
    expect(pruned.predict('please refund my payment').label).toBe('refund');
  });
});

describe('starter model (Bitext customer support, committed)', () => {
  const json: unknown = JSON.parse(readFileSync(new URL('./starter-model.json', import.meta.url), 'utf8'));
  const model = importModel(json);

  it('is small and fast', () => {
    expect(readFileSync(new URL('./starter-model.json', import.meta.url)).length).toBeLessThan(600_000); // loaded lazily (its own chunk), never in the main bundle
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) model.predict(`ticket ${i}: I was charged twice and want my money back`);
    expect((performance.now() - t0) / 200).toBeLessThan(1);
  });

  it('understands tickets written unlike the training data', () => {
    // written for this test, not from Bitext
    const cases: [string, string][] = [
      [
        'Hi team, the parcel you promised for Monday still has not shown up. Any news on where it is?',
        'track_order',
      ],
      [
        'I returned the jacket three weeks ago and I still have not seen the money back on my card',
        'track_refund',
      ],
      ['Please close my account and remove all my personal data', 'delete_account'],
      ['I typed my password wrong too many times and now I cannot get in', 'recover_password'],
      ['Can I speak with an actual person please, the bot is useless', 'contact_human_agent'],
      ['My card was declined at checkout although there is money on it', 'payment_issue'],
    ];
    const right = cases.filter(([text, label]) => model.predict(text).label === label);
    // measured: 4 of 6 (it confuses "where is my parcel" with track_refund and "money back" with
    // get_refund); docs/triage.md lists this as a known weakness of the Bitext-only starter model
    expect(right.length).toBeGreaterThanOrEqual(4);
  });
});

describe('LLM triage schema and tags', () => {
  it('limits the category to the label set in the JSON schema', () => {
    const schema = triageJsonSchema(['refund', 'delivery']) as {
      properties: { category: { enum: string[] } };
      required: string[];
    };
    expect(schema.properties.category.enum).toEqual(['refund', 'delivery']);
    expect(schema.required).toEqual(expect.arrayContaining(['category', 'priority', 'summary', 'reply']));
    expect(
      triageOutputSchema(['refund']).safeParse({
        category: 'other',
        priority: 'low',
        sentiment: 'neutral',
        language: 'en',
        summary: 's',
        reply: 'r',
      }).success,
    ).toBe(false);
  });

  it('makes Zendesk-style tags', () => {
    expect(toTags({ category: { value: 'Get Refund' }, priority: { value: 'urgent' } })).toEqual([
      'intent__get_refund',
      'priority__urgent',
    ]);
  });
});
