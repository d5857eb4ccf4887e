/**
 * Fetch model bytes with byte-level progress and cancellation, mapping failures to typed errors.
 * Used directly when no model cache is given, and by the model cache for each missing chunk.
 */
import { AbortError, NetworkError, NotFoundError } from '../errors.ts';

export interface FetchProgress {
  loadedBytes: number;
  totalBytes: number;
}

export interface FetchBytesOptions {
  signal?: AbortSignal;
  onProgress?: (progress: FetchProgress) => void;
  /** Expected size when known (used as total when the server sends no Content-Length). */
  expectedBytes?: number;
  /** Ask for bytes from this offset on (HTTP Range); the response must be 206 for a resume. */
  fromByte?: number;
  fetch?: typeof fetch;
}

/** Open a model URL as a response with a body, or throw NetworkError / NotFoundError / AbortError. */
export async function openModelResponse(
  url: string,
  options: FetchBytesOptions = {},
): Promise<{ response: Response; totalBytes: number; resumed: boolean }> {
  const doFetch = options.fetch ?? fetch;
  const headers: Record<string, string> = {};
  if (options.fromByte && options.fromByte > 0) headers.range = `bytes=${options.fromByte}-`;
  let response: Response;
  try {
    response = await doFetch(url, { signal: options.signal, headers, cache: 'no-store' });
  } catch (error) {
    if (options.signal?.aborted) throw new AbortError(undefined, { cause: error });
    throw new NetworkError(
      `Could not download the model from ${url} (${error instanceof Error ? error.message : String(error)}). Check the connection or the model URL.`,
      { cause: error, data: { url } },
    );
  }
  if (response.status === 404) {
    throw new NotFoundError(`The model file at ${url} does not exist (404). Check the model URL.`, {
      data: { url, status: 404 },
    });
  }
  if (!response.ok || !response.body) {
    throw new NetworkError(
      `The model server answered ${response.status} for ${url}. Try again later or check the model URL.`,
      { data: { url, status: response.status } },
    );
  }
  const resumed = response.status === 206;
  const length = Number(response.headers.get('content-length') ?? NaN);
  const base = resumed ? (options.fromByte ?? 0) : 0;
  const totalBytes = Number.isFinite(length) ? base + length : (options.expectedBytes ?? 0);
  return { response, totalBytes, resumed };
}

/** Download a whole URL into one Blob with progress. */
export async function fetchModelBlob(url: string, options: FetchBytesOptions = {}): Promise<Blob> {
  const { response, totalBytes } = await openModelResponse(url, options);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const parts: Uint8Array[] = [];
  let loaded = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      loaded += value.byteLength;
      options.onProgress?.({ loadedBytes: loaded, totalBytes: Math.max(totalBytes, loaded) });
    }
  } catch (error) {
    if (options.signal?.aborted) throw new AbortError(undefined, { cause: error });
    throw new NetworkError(`The model download from ${url} broke off. Try again to resume.`, {
      cause: error,
      data: { url, loadedBytes: loaded },
    });
  }
  return new Blob(parts as BlobPart[]);
}
