/** Page side of the triage worker: typed requests (protocol.ts) that resolve with parsed results. */
import { AbortError, deserializeError, InvalidOutputError } from '../errors.ts';
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
  #next = 1;
  #pending = new Map<
    number,
    {
      resolve: (v: unknown) => void;
      reject: (e: unknown) => void;
      name: TriageRequestName;
      onProgress?: ((progress: WorkerProgress) => void) | undefined;
    }
  >();

  constructor(worker?: Worker) {
    this.#worker =
      worker ?? new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'tier-triage' });
    this.#worker.addEventListener('message', (event: MessageEvent<unknown>) => {
      const progress = ProgressEnvelope.safeParse(event.data);
      if (progress.success) {
        this.#pending.get(progress.data.id)?.onProgress?.(progress.data.progress);
        return;
      }
      const parsed = ResponseEnvelope.safeParse(event.data);
      if (!parsed.success) return;
      const pending = this.#pending.get(parsed.data.id);
      if (!pending) return;
      this.#pending.delete(parsed.data.id);
      if (parsed.data.ok) {
        const result = TriageRequests[pending.name].result.safeParse(parsed.data.result);
        if (result.success) pending.resolve(result.data);
        else
          pending.reject(
            new InvalidOutputError('The triage worker sent a malformed answer: reload the page.'),
          );
      } else pending.reject(deserializeError(parsed.data.error));
    });
    this.#worker.addEventListener('error', (event) => {
      const error = new InvalidOutputError(
        `The triage worker crashed (${event.message || 'unknown error'}): reload the page.`,
      );
      for (const p of this.#pending.values()) p.reject(error);
      this.#pending.clear();
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
    const id = this.#next++;
    return new Promise<TriageResult<N>>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, name, onProgress });
      signal?.addEventListener('abort', () => {
        if (this.#pending.delete(id)) reject(new AbortError());
      });
      this.#worker.postMessage({ id, name, payload });
    });
  }

  terminate(): void {
    this.#worker.terminate();
    for (const p of this.#pending.values()) p.reject(new AbortError());
    this.#pending.clear();
  }
}
