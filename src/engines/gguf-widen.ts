/**
 * Widen a GGUF's Q8_0 (and F16) 2-D weight tensors to F32, on the device, from a Blob to a Blob.
 *
 * Why: llama.cpp's WebAssembly build has weak int8 SIMD128 kernels, while F32 matrix products run at
 * memory speed. On this project's 2-core CPU (SmolLM2-135M shape, 2 threads, wllama 3.13) the
 * ghost-text step took 304 ms in Q8_0 and 196 ms in F32 (docs/adr/0003-wasm-speed.md). Nobody hosts
 * an F32 SmolLM2, so the engine downloads the small Q8_0 file and widens it here.
 *
 * Lossless: a Q8_0 value is an fp16 scale times an int8, at most 11 + 8 significant bits, exact in
 * f32, and the product is what ggml's own dequantizer computes (`qs[j] * d` in float). F16 -> F32 is
 * exact too. So the widened file is the same model.
 *
 * Streaming: the header is rewritten (same metadata, `general.file_type` set to ALL_F32 when every
 * weight is now F32; tensor infos with the new types and offsets recomputed with the file's
 * alignment). The widened file is a Blob whose bytes are computed when read: a read of [a, b) reads
 * only the source slices it needs (tensors that stay as they are are copied, widened ones are read
 * and converted 4 MB of output at a time), so no 515 MB Blob is ever assembled in JavaScript (which
 * Chromium fails to read back, see {@link ComputedBlob}) and llama.cpp's own buffers hold the only
 * full copy of the F32 weights. Pure (Blob in, Blob out); malformed input is a
 * {@link ModelCorruptError} from gguf-header.ts.
 */
import { ModelCorruptError, throwIfAborted } from '../errors.ts';
import { exceedsDeviceMemory } from './device-memory.ts';
import {
  GGML_TYPE,
  GGUF_VALUE_TYPE,
  ggmlTensorBytes,
  readGgufHeader,
  type GgufHeader,
  type GgufTensorInfo,
} from './gguf-header.ts';

const MB = 1024 * 1024;

/**
 * Why a widened model of `bytes` should not be loaded on a device with `deviceMemoryGB` (undefined:
 * it may), by the probe's own memory rule (device-memory.ts).
 */
export function cpuWidenProblem(bytes: number, deviceMemoryGB: number | undefined): string | undefined {
  if (!exceedsDeviceMemory(bytes, deviceMemoryGB)) return undefined;
  return `F32 weights would need ${Math.round(bytes / MB)} MB and the device reports ${deviceMemoryGB} GB of RAM`;
}

/** llama_ftype LLAMA_FTYPE_ALL_F32. */
export const FILE_TYPE_ALL_F32 = 0;

export interface WidenOptions {
  signal?: AbortSignal;
  /** Output bytes read so far of the total, after each read of the widened Blob. */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

/** What widening a file would produce (known from the header alone, before any work). */
export interface WidenPlan {
  header: GgufHeader;
  /** Tensors that become F32, by name. */
  widened: string[];
  /** The source's bytes and the widened file's. */
  sourceBytes: number;
  outputBytes: number;
  /** The new header (metadata, tensor infos, padding to the data section). */
  headerBytes: Uint8Array<ArrayBuffer>;
  /** Each tensor's new type and offset, in the source's data order. */
  layout: { tensor: GgufTensorInfo; type: number; offset: number; bytes: number }[];
}

export interface WidenResult {
  blob: Blob;
  widened: string[];
  /** The types the widened tensors had, e.g. ['Q8_0']. */
  fromTypes: string[];
  sourceBytes: number;
  outputBytes: number;
}

/** Whether a tensor is widened: a 2-D weight in Q8_0 or F16. */
function widens(t: GgufTensorInfo): boolean {
  return t.dims.length === 2 && (t.type === GGML_TYPE.Q8_0 || t.type === GGML_TYPE.F16);
}

const padTo = (n: number, align: number): number => Math.ceil(n / align) * align;

function encodeString(s: string): Uint8Array {
  const bytes = new TextEncoder().encode(s);
  const out = new Uint8Array(8 + bytes.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(bytes.length), true);
  out.set(bytes, 8);
  return out;
}

/**
 * Plan the widening from the header: output size, the new header bytes and the layout. The
 * metadata section is copied verbatim except `general.file_type`, set to ALL_F32 when no weight
 * keeps another type (added when missing).
 */
export async function planWiden(blob: Blob): Promise<WidenPlan> {
  const header = await readGgufHeader(blob);
  const sorted = [...header.tensors].sort((a, b) => a.offset - b.offset);
  const dataEnd = blob.size - header.dataStart;
  const layout: WidenPlan['layout'] = [];
  let offset = 0;
  for (let i = 0; i < sorted.length; i++) {
    const t = sorted[i]!;
    const next = sorted[i + 1]?.offset ?? dataEnd;
    // A type this reader does not know is copied as it is: its span up to the next tensor.
    const span = t.bytes ?? next - t.offset;
    if (t.offset + span > next)
      throw new ModelCorruptError(
        `The model file is not a valid GGUF (tensor "${t.name}" overlaps the next one). Delete it from the model cache and download it again.`,
        { data: { tensor: t.name } },
      );
    const type = widens(t) ? GGML_TYPE.F32 : t.type;
    const bytes = type === t.type ? span : (ggmlTensorBytes(GGML_TYPE.F32, t.dims) ?? 0);
    layout.push({ tensor: t, type, offset, bytes });
    offset = padTo(offset + bytes, header.alignment);
  }
  const widened = layout.filter((l) => l.type !== l.tensor.type).map((l) => l.tensor.name);
  const allF32 = layout.every((l) => l.tensor.dims.length < 2 || l.type === GGML_TYPE.F32);

  // Metadata: verbatim, with general.file_type patched in place (or appended) when all weights are F32.
  const source = new Uint8Array(await blob.slice(header.kvStart, header.kvEnd).arrayBuffer());
  const kvBytes = source.slice();
  const extra: Uint8Array[] = [];
  if (widened.length > 0 && allF32) {
    const fileType = header.kvs.find((kv) => kv.key === 'general.file_type');
    if (fileType && (fileType.type === GGUF_VALUE_TYPE.UINT32 || fileType.type === GGUF_VALUE_TYPE.INT32)) {
      new DataView(kvBytes.buffer).setUint32(fileType.valueOffset - header.kvStart, FILE_TYPE_ALL_F32, true);
    } else if (!fileType) {
      const value = new Uint8Array(8);
      new DataView(value.buffer).setUint32(0, GGUF_VALUE_TYPE.UINT32, true);
      new DataView(value.buffer).setUint32(4, FILE_TYPE_ALL_F32, true);
      extra.push(encodeString('general.file_type'), value);
    }
  }
  const infos: Uint8Array[] = [];
  const byName = new Map(layout.map((l) => [l.tensor, l]));
  for (const t of header.tensors) {
    const l = byName.get(t)!;
    const info = new Uint8Array(4 + 8 * t.dims.length + 4 + 8);
    const view = new DataView(info.buffer);
    view.setUint32(0, t.dims.length, true);
    t.dims.forEach((d, i) => view.setBigUint64(4 + 8 * i, BigInt(d), true));
    view.setUint32(4 + 8 * t.dims.length, l.type, true);
    view.setBigUint64(8 + 8 * t.dims.length, BigInt(l.offset), true);
    infos.push(encodeString(t.name), info);
  }
  const prefix = new Uint8Array(24);
  const pv = new DataView(prefix.buffer);
  prefix.set([0x47, 0x47, 0x55, 0x46]);
  pv.setUint32(4, header.version, true);
  pv.setBigUint64(8, BigInt(header.tensors.length), true);
  pv.setBigUint64(16, BigInt(header.kvs.length + (extra.length > 0 ? 1 : 0)), true);
  const parts = [prefix, kvBytes, ...extra, ...infos];
  const unpadded = parts.reduce((n, p) => n + p.length, 0);
  const headerBytes = new Uint8Array(padTo(unpadded, header.alignment));
  let at = 0;
  for (const p of parts) {
    headerBytes.set(p, at);
    at += p.length;
  }
  // Like ggml's writer, the data section ends padded to the alignment.
  const outputBytes = headerBytes.length + offset;
  return { header, widened, sourceBytes: blob.size, outputBytes, headerBytes, layout };
}

let halfTable: Float32Array | undefined;

/** Every fp16 bit pattern as f32 (256 KB, built once): the conversion is then one lookup. */
function halves(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    const sign = h & 0x8000 ? -1 : 1;
    table[h] =
      exp === 0
        ? sign * mant * 2 ** -24
        : exp === 31
          ? mant === 0
            ? sign * Infinity
            : NaN
          : sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  halfTable = table;
  return table;
}

/** Q8_0 blocks (34 bytes: fp16 d, 32 x int8) to f32 values. */
function q8_0ToF32(src: Uint8Array, out: Float32Array): void {
  const table = halves();
  const q = new Int8Array(src.buffer, src.byteOffset, src.byteLength);
  const blocks = src.byteLength / 34;
  let k = 0;
  for (let b = 0; b < blocks; b++) {
    const at = b * 34;
    const d = table[(src[at] ?? 0) | ((src[at + 1] ?? 0) << 8)] ?? 0;
    for (let j = 2; j < 34; j++) out[k++] = d * (q[at + j] ?? 0);
  }
}

/** fp16 values to f32. */
function f16ToF32(src: Uint8Array, out: Float32Array): void {
  const table = halves();
  const n = src.byteLength / 2;
  for (let i = 0; i < n; i++) out[i] = table[(src[2 * i] ?? 0) | ((src[2 * i + 1] ?? 0) << 8)] ?? 0;
}

type Segment =
  | { start: number; end: number; kind: 'bytes'; bytes: Uint8Array }
  | { start: number; end: number; kind: 'zero' }
  | { start: number; end: number; kind: 'copy'; from: number }
  | { start: number; end: number; kind: 'widen'; from: number; q8: boolean };

/** The widened file as segments of output bytes, in order, with where each comes from. */
function segments(plan: WidenPlan): Segment[] {
  const out: Segment[] = [{ start: 0, end: plan.headerBytes.length, kind: 'bytes', bytes: plan.headerBytes }];
  const base = plan.headerBytes.length;
  let at = base;
  for (const { tensor, type, offset, bytes } of plan.layout) {
    const start = base + offset;
    if (start > at) out.push({ start: at, end: start, kind: 'zero' });
    const from = plan.header.dataStart + tensor.offset;
    out.push(
      type === tensor.type
        ? { start, end: start + bytes, kind: 'copy', from }
        : { start, end: start + bytes, kind: 'widen', from, q8: tensor.type === GGML_TYPE.Q8_0 },
    );
    at = start + bytes;
  }
  if (plan.outputBytes > at) out.push({ start: at, end: plan.outputBytes, kind: 'zero' });
  return out;
}

/** Output bytes are converted this many at a time (bounds the temporary buffers of one read). */
const STEP_BYTES = 4 * 1024 * 1024;

/**
 * Reads of the widened file: bytes [start, end) computed from the source. Only the source ranges a
 * read needs are read (blob.slice), and they are converted a few MB at a time.
 */
function rangeReader(
  source: Blob,
  plan: WidenPlan,
  onRead: (bytes: number) => void,
): (start: number, end: number) => Promise<Uint8Array<ArrayBuffer>> {
  const parts = segments(plan);
  const read = async (from: number, to: number): Promise<Uint8Array> => {
    const bytes = new Uint8Array(await source.slice(from, to).arrayBuffer());
    if (bytes.byteLength !== to - from)
      throw new ModelCorruptError(
        `The model file changed or is truncated (read ${bytes.byteLength} of ${to - from} bytes at ${from}). Delete it from the model cache and download it again.`,
        { data: { offset: from } },
      );
    return bytes;
  };
  return async (start, end) => {
    const result = new Uint8Array(Math.max(0, end - start));
    for (const seg of parts) {
      const a = Math.max(start, seg.start);
      const b = Math.min(end, seg.end);
      if (a >= b) continue;
      if (seg.kind === 'bytes') result.set(seg.bytes.subarray(a - seg.start, b - seg.start), a - start);
      else if (seg.kind === 'copy')
        result.set(await read(seg.from + a - seg.start, seg.from + b - seg.start), a - start);
      else if (seg.kind === 'widen') {
        // Whole blocks: 32 values (34 bytes in, 128 out) for Q8_0, one value (2 in, 4 out) for F16.
        const inBlock = seg.q8 ? 34 : 2;
        const outBlock = seg.q8 ? 128 : 4;
        const perStep = Math.max(1, Math.floor(STEP_BYTES / outBlock));
        const first = Math.floor((a - seg.start) / outBlock);
        const last = Math.ceil((b - seg.start) / outBlock);
        for (let k = first; k < last; k += perStep) {
          const n = Math.min(perStep, last - k);
          const src = await read(seg.from + k * inBlock, seg.from + (k + n) * inBlock);
          const blockStart = seg.start + k * outBlock;
          const lo = Math.max(a, blockStart);
          const hi = Math.min(b, blockStart + n * outBlock);
          // Whole blocks at a 4-byte-aligned place (llama.cpp reads whole tensors): convert in place,
          // else through a temporary (the read starts or ends inside a block).
          const inPlace = lo === blockStart && hi === blockStart + n * outBlock && (lo - start) % 4 === 0;
          const values = inPlace
            ? new Float32Array(result.buffer, lo - start, (n * outBlock) / 4)
            : new Float32Array((n * outBlock) / 4);
          if (seg.q8) q8_0ToF32(src, values);
          else f16ToF32(src, values);
          if (!inPlace)
            result.set(new Uint8Array(values.buffer).subarray(lo - blockStart, hi - blockStart), lo - start);
        }
      }
      // 'zero': the result is zero-filled already.
    }
    onRead(result.byteLength);
    return result;
  };
}

/**
 * A Blob whose bytes are computed when read (slice + arrayBuffer / stream / text / bytes), so a
 * widened model never exists as one JavaScript-built Blob. Measured in Chromium 156 here: a Blob
 * assembled from in-memory parts fails to read back (NotReadableError) from about 0.5 GB on, in a
 * persistent profile too, and the 135M model widens to 515 MB. wllama reads a model only through
 * `size`, `slice().arrayBuffer()` and `stream()`, on the page side (the Blob is never posted to a
 * worker, where a subclass would arrive as a plain empty Blob).
 */
class ComputedBlob extends Blob {
  readonly #read: (start: number, end: number) => Promise<Uint8Array<ArrayBuffer>>;
  readonly #start: number;
  readonly #length: number;

  constructor(
    read: (start: number, end: number) => Promise<Uint8Array<ArrayBuffer>>,
    start: number,
    length: number,
  ) {
    super([]);
    this.#read = read;
    this.#start = start;
    this.#length = length;
    // Blob's `size` is a prototype getter over the (empty) native body: shadow it.
    Object.defineProperty(this, 'size', { value: length, enumerable: true });
  }

  override slice(start = 0, end = this.#length, _contentType?: string): Blob {
    const clamp = (n: number): number => Math.min(this.#length, Math.max(0, n < 0 ? this.#length + n : n));
    const from = clamp(start);
    const to = Math.max(from, clamp(end));
    return new ComputedBlob(this.#read, this.#start + from, to - from);
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.#read(this.#start, this.#start + this.#length)).buffer;
  }

  override async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#read(this.#start, this.#start + this.#length);
  }

  override async text(): Promise<string> {
    return new TextDecoder().decode(await this.bytes());
  }

  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    let at = this.#start;
    const end = this.#start + this.#length;
    return new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: async (controller) => {
        if (at >= end) return controller.close();
        const next = Math.min(end, at + STEP_BYTES);
        controller.enqueue(await this.#read(at, next));
        at = next;
      },
    });
  }
}

/**
 * Widen `blob` (a GGUF) to a GGUF Blob in which its Q8_0 and F16 2-D weights are F32. Only the
 * header is read here; the weights are converted as the returned Blob is read (`onProgress` counts
 * the bytes read of the total). A file with nothing to widen comes back as the same Blob.
 * Malformed input: ModelCorruptError; an aborted `signal`: AbortError (also for reads after it).
 */
export async function widenGguf(blob: Blob, options: WidenOptions = {}): Promise<WidenResult> {
  const { signal, onProgress } = options;
  throwIfAborted(signal);
  const plan = await planWiden(blob);
  throwIfAborted(signal);
  if (plan.widened.length === 0)
    return { blob, widened: [], fromTypes: [], sourceBytes: blob.size, outputBytes: blob.size };
  let done = 0;
  const reader = rangeReader(blob, plan, (n) => {
    done = Math.min(plan.outputBytes, done + n);
    onProgress?.(done, plan.outputBytes);
  });
  const read = (start: number, end: number): Promise<Uint8Array<ArrayBuffer>> => {
    throwIfAborted(signal);
    return reader(start, end);
  };
  return {
    blob: new ComputedBlob(read, 0, plan.outputBytes),
    widened: plan.widened,
    fromTypes: [
      ...new Set(
        plan.layout
          .filter((l) => l.type !== l.tensor.type)
          .map((l) => (l.tensor.type === GGML_TYPE.Q8_0 ? 'Q8_0' : 'F16')),
      ),
    ],
    sourceBytes: blob.size,
    outputBytes: plan.outputBytes,
  };
}
