/**
 * Page side of the triage worker: typed requests (protocol.ts) that resolve with parsed results; the
 * pending requests and error rebuilding are the shared request/response core (src/rpc.ts).
 */
import { AbortError, InvalidOutputError } from '../errors.ts';
import { PendingRequests } from '../rpc.ts';
import {
  ProgressEnvelope,
  ResponseEnvelope,
  TriageRequests,
  type TriagePayload,
  type TriageRequestName,
  type TriageResult,
  type WorkerProgress,
} from './protocol.ts';

export class TriageWorkerClient {
  #worker: Worker;
  #pending = new PendingRequests();

  constructor(worker?: Worker) {
    this.#worker =
      worker ?? new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'tier-triage' });
    this.#worker.addEventListener('message', (event: MessageEvent<unknown>) => {
      const progress = ProgressEnvelope.safeParse(event.data);
      if (progress.success) {
        this.#pending.partial(progress.data.id, progress.data.progress);
        return;
      }
      const parsed = ResponseEnvelope.safeParse(event.data);
      if (parsed.success) this.#pending.settle(parsed.data.id, parsed.data);
    });
    this.#worker.addEventListener('error', (event) => {
      this.#pending.failAll(
        new InvalidOutputError(
          `The triage worker crashed (${event.message || 'unknown error'}): reload the page.`,
        ),
      );
    });
  }

  /** Send a request; `onProgress` hears the worker's progress on long requests (training). */
  request<N extends TriageRequestName>(
    name: N,
    payload: TriagePayload<N>,
    signal?: AbortSignal,
    onProgress?: (progress: WorkerProgress) => void,
  ): Promise<TriageResult<N>> {
    if (signal?.aborted) return Promise.reject(new AbortError());
    return new Promise<TriageResult<N>>((resolve, reject) => {
      const id = this.#pending.add({
        // results are parsed, not cast: a malformed answer is an error, never a value
        resolve: (value) => {
          const result = TriageRequests[name].result.safeParse(value);
          if (result.success) resolve(result.data as TriageResult<N>);
          else reject(new InvalidOutputError('The triage worker sent a malformed answer: reload the page.'));
        },
        reject,
        onPartial: onProgress ? (value) => onProgress(value as WorkerProgress) : undefined,
      });
      signal?.addEventListener('abort', () => {
        if (this.#pending.drop(id)) reject(new AbortError());
      });
      this.#worker.postMessage({ id, name, payload });
    });
  }

  terminate(): void {
    this.#worker.terminate();
    this.#pending.failAll(new AbortError());
  }
}
