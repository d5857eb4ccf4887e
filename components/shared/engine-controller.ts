/**
 * ReactiveController for the on-device engine's life in an element: probe (no download), consent,
 * download progress with bytes and ETA, cancel, ready, or a clear reason why this device cannot run a
 * model. The engine code itself is loaded lazily through `loadProvider`.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { LocalEngineProvider, LocalModelProbe } from '../../src/assist/types.ts';
import type { EnginePlacement, EngineSpeed, LoadProgress, LocalEngine } from '../../src/engines/types.ts';
import { AbortError, toTierError, type TierError } from '../../src/errors.ts';

export interface DownloadProgress {
  phase: LoadProgress['phase'];
  loadedBytes: number;
  totalBytes: number;
  fromCache: boolean;
  /** Seconds left at the current rate, when it can be estimated. */
  etaSeconds: number | undefined;
}

export type EngineState =
  | { status: 'idle' }
  | { status: 'probing' }
  | { status: 'unsupported'; probe: LocalModelProbe }
  | { status: 'consent'; probe: LocalModelProbe }
  | { status: 'downloading'; probe: LocalModelProbe; progress: DownloadProgress }
  | { status: 'ready'; probe: LocalModelProbe; engine: LocalEngine }
  | { status: 'error'; probe: LocalModelProbe | undefined; error: TierError };

export interface EngineControllerOptions {
  loadProvider: () => Promise<LocalEngineProvider>;
  model: () => string | undefined;
  onProgress?: (progress: DownloadProgress) => void;
  onError?: (error: TierError) => void;
}

export class EngineController implements ReactiveController {
  state: EngineState = { status: 'idle' };
  readonly #host: ReactiveControllerHost;
  readonly #options: EngineControllerOptions;
  #provider: LocalEngineProvider | undefined;
  #download: AbortController | undefined;
  #probing: Promise<void> | undefined;

  constructor(host: ReactiveControllerHost, options: EngineControllerOptions) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.#download?.abort();
  }

  get engine(): LocalEngine | undefined {
    return this.state.status === 'ready' ? this.state.engine : undefined;
  }

  #set(state: EngineState) {
    this.state = state;
    this.#host.requestUpdate();
  }

  /** Forget the current engine (e.g. the `model` attribute changed). */
  async reset(): Promise<void> {
    this.#download?.abort();
    const engine = this.engine;
    this.#probing = undefined;
    this.#set({ status: 'idle' });
    await engine?.unload().catch(() => undefined);
  }

  /** Run the capability probe once (downloads nothing). A cached model loads without asking again. */
  probe(): Promise<void> {
    this.#probing ??= (async () => {
      this.#set({ status: 'probing' });
      try {
        this.#provider ??= await this.#options.loadProvider();
        const probe = await this.#provider.probe({ model: this.#options.model() });
        if (!probe.ok) return this.#set({ status: 'unsupported', probe });
        this.#set({ status: 'consent', probe });
        if (probe.cached) await this.accept();
      } catch (error) {
        const err = toTierError(error);
        this.#set({ status: 'error', probe: undefined, error: err });
        this.#options.onError?.(err);
      }
    })();
    return this.#probing;
  }

  /** The person consented: download (or read from the cache) and load the model. */
  async accept(): Promise<void> {
    const state = this.state;
    if ((state.status !== 'consent' && state.status !== 'error') || !state.probe || !this.#provider) return;
    const probe = state.probe;
    const controller = new AbortController();
    this.#download = controller;
    const started = performance.now();
    let firstBytes: { at: number; bytes: number } | undefined;
    const initial: DownloadProgress = {
      phase: 'download',
      loadedBytes: 0,
      totalBytes: probe.model?.sizeBytes ?? 0,
      fromCache: probe.cached,
      etaSeconds: undefined,
    };
    this.#set({ status: 'downloading', probe, progress: initial });
    try {
      const engine = await this.#provider.load(probe, {
        signal: controller.signal,
        onProgress: (p) => {
          if (controller.signal.aborted) return;
          const now = performance.now();
          firstBytes ??= { at: now, bytes: p.loadedBytes };
          const rate = (p.loadedBytes - firstBytes.bytes) / Math.max(1, now - firstBytes.at); // bytes/ms
          const left = p.totalBytes - p.loadedBytes;
          const etaSeconds = rate > 0 && left >= 0 && now - started > 300 ? left / rate / 1000 : undefined;
          const progress: DownloadProgress = {
            phase: p.phase,
            loadedBytes: p.loadedBytes,
            totalBytes: p.totalBytes || initial.totalBytes,
            fromCache: p.fromCache,
            etaSeconds,
          };
          this.#set({ status: 'downloading', probe, progress });
          this.#options.onProgress?.(progress);
        },
      });
      if (controller.signal.aborted) throw new AbortError('The download was cancelled.');
      this.#set({ status: 'ready', probe, engine });
    } catch (error) {
      const err = controller.signal.aborted
        ? new AbortError('The download was cancelled.')
        : toTierError(error);
      this.#set({
        status: err.code === 'aborted' ? 'consent' : 'error',
        probe,
        ...(err.code === 'aborted' ? {} : { error: err }),
      } as EngineState);
      if (err.code !== 'aborted') this.#options.onError?.(err);
    } finally {
      if (this.#download === controller) this.#download = undefined;
    }
  }

  /** Cancel a running download; nothing partial is kept as ready. */
  cancel(): void {
    this.#download?.abort();
  }

  /** The engine failed at run time (device lost...): load it again on the next request. */
  invalidate(error: TierError): void {
    if (this.state.status !== 'ready') return;
    this.#set({ status: 'error', probe: this.state.probe, error });
  }
}

/** Which model runs where, and how fast this device measured it: the line the popup and `<tier-assist>` show. */
export interface EngineRunLine {
  /** e.g. "SmolLM2 135M Instruct (Q8_0, CPU) on the CPU, 2 threads". */
  where: string;
  /** e.g. "31 tok/s (prompt 120 tok/s, 5 runs)", or that nothing was measured yet. */
  speed: string;
  /** The engine's own sentence on where it runs and why (e.g. why only one thread). */
  note: string | undefined;
}

const tokPerSec = (n: number): string => `${n >= 10 ? Math.round(n) : n.toFixed(1)} tok/s`;

/**
 * Describes a loaded model's placement and measured speed for people. `gpu` is the engine's own claim,
 * used only when it reports no placement.
 */
export function engineRunLine(
  label: string,
  placement: EnginePlacement | undefined,
  speed: EngineSpeed | undefined,
  gpu?: boolean,
): EngineRunLine {
  const device = placement?.device ?? (gpu === undefined ? undefined : gpu ? 'gpu' : 'cpu');
  let where = device === 'gpu' ? `${label} on the GPU` : device === 'cpu' ? `${label} on the CPU` : label;
  if (device === 'cpu' && placement?.threads !== undefined)
    where += `, ${placement.threads} thread${placement.threads === 1 ? '' : 's'}`;
  // Layers on the GPU when any are (a CPU run with 0 of N says nothing the device does not already).
  if (placement?.gpuLayers !== undefined && placement.gpuLayers > 0 && placement.totalLayers)
    where += ` (${placement.gpuLayers} of ${placement.totalLayers} layers on the GPU)`;
  const measured =
    speed && speed.samples > 0 && speed.decodeTokPerSec > 0
      ? `${tokPerSec(speed.decodeTokPerSec)} (prompt ${tokPerSec(speed.prefillTokPerSec)}, ${speed.samples} run${speed.samples === 1 ? '' : 's'})`
      : 'speed not measured yet (after the first suggestion or answer)';
  return { where, speed: measured, note: placement?.note || undefined };
}
