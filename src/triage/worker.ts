/**
 * The triage Web Worker: holds the classifier and trains it off the main thread.
 * Messages follow protocol.ts, validated and answered with the request/response core the extension's
 * channel uses too (src/rpc.ts); every reply carries the request id.
 */
import { InvalidInputError } from '../errors.ts';
import { answer, parseRequest } from '../rpc.ts';
import { IntentClassifier } from './classifier.ts';
import {
  RequestEnvelope,
  TriageRequests,
  type TriagePayload,
  type TriageRequestName,
  type TriageResult,
  type WorkerProgress,
} from './protocol.ts';
import { exportModel, importModel } from './schema.ts';

let model: IntentClassifier | null = null;

function current(): IntentClassifier {
  if (!model)
    throw new InvalidInputError('No triage model is loaded yet: load the starter model or train one first.');
  return model;
}

type Progress = (progress: WorkerProgress) => void;

const handlers: {
  [N in TriageRequestName]: (payload: TriagePayload<N>, progress: Progress) => TriageResult<N>;
} = {
  load: ({ model: json }) => {
    model = importModel(json);
    return { labels: model.labels };
  },
  train: ({ examples, validation, epochs }, progress) => {
    const t0 = performance.now();
    const next = new IntentClassifier();
    next.train(examples, {
      validation,
      epochs,
      features: { bits: 20 },
      onEpoch: (done, total) => {
        progress({ done, total });
        return undefined;
      },
    });
    model = next;
    return { labels: next.labels, seconds: (performance.now() - t0) / 1000 };
  },
  update: ({ examples, epochs }) => {
    const t0 = performance.now();
    const m = current();
    m.update(examples, { epochs });
    return { labels: m.labels, seconds: (performance.now() - t0) / 1000 };
  },
  predict: ({ text, k }) => current().predict(text, k ?? 3),
  export: ({ encoding }) => ({ model: exportModel(current(), encoding ?? 'f32') }),
};

function handle(name: string, payload: unknown, progress: Progress): unknown {
  const request = parseRequest<TriageRequestName>(
    (n) => (Object.hasOwn(TriageRequests, n) ? TriageRequests[n as TriageRequestName].payload : undefined),
    name,
    payload,
    'triage worker request',
  );
  return (handlers[request.name] as (p: unknown, progress: Progress) => unknown)(request.payload, progress);
}

self.addEventListener('message', (event: MessageEvent<unknown>) => {
  const envelope = RequestEnvelope.safeParse(event.data);
  if (!envelope.success) return;
  const { id, name, payload } = envelope.data;
  const progress: Progress = (p) => self.postMessage({ id, progress: p });
  void answer(() => handle(name, payload, progress)).then((reply) => self.postMessage({ id, ...reply }));
});
