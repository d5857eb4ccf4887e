/**
 * A GGUF (v2/v3) header reader that works on a Blob: metadata (key/value pairs) and tensor infos,
 * without reading tensor data or materializing large arrays (a tokenizer's 50k-128k strings are
 * skipped, not decoded). Used by gguf-widen.ts; platform-neutral (Blob and DataView only).
 *
 * Layout (ggml/docs/gguf.md): magic "GGUF", u32 version, u64 tensor count, u64 kv count; each kv is a
 * string key, a u32 value type and the value; each tensor info is a string name, u32 n_dims, n_dims
 * u64 dims (ne0 first), u32 ggml type and a u64 offset relative to the data section, which starts at
 * the header's end padded to `general.alignment` (default 32). Every integer is little-endian.
 *
 * Anything malformed or truncated is a {@link ModelCorruptError}, never a RangeError.
 */
import { ModelCorruptError } from '../errors.ts';

/** GGUF metadata value types (gguf.h). */
export const GGUF_VALUE_TYPE = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

/** Fixed sizes of the scalar value types, in bytes. */
const SCALAR_BYTES: Record<number, number> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  10: 8,
  11: 8,
  12: 8,
};

/** ggml_type ids this project converts (ggml.h). */
export const GGML_TYPE = { F32: 0, F16: 1, Q8_0: 8 } as const;

/** [values per block, bytes per block] of every ggml type id llama.cpp files use (ggml.c type_traits). */
const GGML_BLOCKS: Record<number, readonly [number, number]> = {
  0: [1, 4], // F32
  1: [1, 2], // F16
  2: [32, 18], // Q4_0
  3: [32, 20], // Q4_1
  6: [32, 22], // Q5_0
  7: [32, 24], // Q5_1
  8: [32, 34], // Q8_0
  9: [32, 36], // Q8_1
  10: [256, 84], // Q2_K
  11: [256, 110], // Q3_K
  12: [256, 144], // Q4_K
  13: [256, 176], // Q5_K
  14: [256, 210], // Q6_K
  15: [256, 292], // Q8_K
  16: [256, 66], // IQ2_XXS
  17: [256, 74], // IQ2_XS
  18: [256, 98], // IQ3_XXS
  19: [256, 50], // IQ1_S
  20: [32, 18], // IQ4_NL
  21: [256, 110], // IQ3_S
  22: [256, 82], // IQ2_S
  23: [256, 136], // IQ4_XS
  24: [1, 1], // I8
  25: [1, 2], // I16
  26: [1, 4], // I32
  27: [1, 8], // I64
  28: [1, 8], // F64
  29: [256, 56], // IQ1_M
  30: [1, 2], // BF16
  34: [256, 54], // TQ1_0
  35: [256, 66], // TQ2_0
  39: [32, 17], // MXFP4
};

/** A metadata value: scalars and strings as read; arrays only described (they can be huge). */
export type GgufValue =
  number | bigint | boolean | string | { array: true; itemType: number; length: number };

export interface GgufKv {
  key: string;
  type: number;
  value: GgufValue;
  /** Absolute byte offset of the value (after its type) in the file. */
  valueOffset: number;
}

export interface GgufTensorInfo {
  name: string;
  /** ne0 (fastest-varying) first. */
  dims: number[];
  /** ggml_type id. */
  type: number;
  /** Offset relative to the data section. */
  offset: number;
  /** Data bytes (no padding), or undefined for a type this reader does not know. */
  bytes: number | undefined;
}

export interface GgufHeader {
  version: number;
  kvs: GgufKv[];
  /** Absolute byte range of the metadata section (all key/value pairs), to copy it verbatim. */
  kvStart: number;
  kvEnd: number;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Absolute offset where tensor data starts (header end padded to the alignment). */
  dataStart: number;
}

/** Bytes of a tensor of `type` and `dims`, or undefined when the type is unknown. */
export function ggmlTensorBytes(type: number, dims: readonly number[]): number | undefined {
  const block = GGML_BLOCKS[type];
  if (!block) return undefined;
  const [values, bytes] = block;
  const ne0 = dims[0] ?? 1;
  if (ne0 % values !== 0) return undefined;
  const rows = dims.slice(1).reduce((a, b) => a * b, 1);
  return (ne0 / values) * bytes * rows;
}

export function metadata(header: GgufHeader, key: string): GgufValue | undefined {
  return header.kvs.find((kv) => kv.key === key)?.value;
}

function corrupt(detail: string, data?: Record<string, unknown>): ModelCorruptError {
  return new ModelCorruptError(
    `The model file is not a valid GGUF (${detail}). Delete it from the model cache and download it again, or check the model URL.`,
    data ? { data } : undefined,
  );
}

/** Thrown inside the parser when the window read so far ends before the header does. */
class NeedMore {
  constructor(readonly until: number) {}
}

const MAX_COUNT = 1 << 24;
const MAX_DIMS = 4;

/** Parse a header from the first `bytes.length` bytes of a file of `fileSize` bytes. */
function parse(bytes: Uint8Array, fileSize: number): GgufHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let at = 0;
  const need = (n: number): void => {
    if (at + n > fileSize) throw corrupt(`the header is truncated at byte ${at}`, { offset: at, fileSize });
    if (at + n > bytes.length) throw new NeedMore(at + n);
  };
  const u32 = (): number => {
    need(4);
    at += 4;
    return view.getUint32(at - 4, true);
  };
  const u64 = (what: string): number => {
    need(8);
    at += 8;
    const v = view.getBigUint64(at - 8, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`${what} is out of range`, { offset: at - 8 });
    return Number(v);
  };
  const str = (what: string): string => {
    const n = u64(`the length of ${what}`);
    if (n > fileSize) throw corrupt(`${what} is longer than the file`, { offset: at });
    need(n);
    at += n;
    return decoder.decode(bytes.subarray(at - n, at));
  };
  const skipString = (): void => {
    const n = u64('a string length');
    need(n);
    at += n;
  };
  const scalar = (type: number): number | bigint | boolean => {
    const size = SCALAR_BYTES[type];
    if (size === undefined) throw corrupt(`unknown metadata value type ${type}`, { offset: at });
    need(size);
    const o = at;
    at += size;
    switch (type) {
      case GGUF_VALUE_TYPE.UINT8:
        return view.getUint8(o);
      case GGUF_VALUE_TYPE.INT8:
        return view.getInt8(o);
      case GGUF_VALUE_TYPE.UINT16:
        return view.getUint16(o, true);
      case GGUF_VALUE_TYPE.INT16:
        return view.getInt16(o, true);
      case GGUF_VALUE_TYPE.UINT32:
        return view.getUint32(o, true);
      case GGUF_VALUE_TYPE.INT32:
        return view.getInt32(o, true);
      case GGUF_VALUE_TYPE.FLOAT32:
        return view.getFloat32(o, true);
      case GGUF_VALUE_TYPE.BOOL:
        return view.getUint8(o) !== 0;
      case GGUF_VALUE_TYPE.UINT64:
        return view.getBigUint64(o, true);
      case GGUF_VALUE_TYPE.INT64:
        return view.getBigInt64(o, true);
      default:
        return view.getFloat64(o, true);
    }
  };
  const value = (type: number): GgufValue => {
    if (type === GGUF_VALUE_TYPE.STRING) return str('a metadata string');
    if (type !== GGUF_VALUE_TYPE.ARRAY) return scalar(type);
    const itemType = u32();
    const length = u64('an array length');
    if (itemType === GGUF_VALUE_TYPE.STRING) for (let i = 0; i < length; i++) skipString();
    else if (itemType === GGUF_VALUE_TYPE.ARRAY) throw corrupt('nested metadata arrays', { offset: at });
    else {
      const size = SCALAR_BYTES[itemType];
      if (size === undefined) throw corrupt(`unknown array item type ${itemType}`, { offset: at });
      need(size * length);
      at += size * length;
    }
    return { array: true, itemType, length };
  };

  need(24);
  const magic = String.fromCharCode(bytes[0] ?? 0, bytes[1] ?? 0, bytes[2] ?? 0, bytes[3] ?? 0);
  if (magic !== 'GGUF') throw corrupt('no GGUF magic at the start');
  at = 4;
  const version = u32();
  if (version !== 2 && version !== 3)
    throw corrupt(`GGUF version ${version} is not supported (2 or 3)`, { version });
  const tensorCount = u64('the tensor count');
  const kvCount = u64('the metadata count');
  if (tensorCount > MAX_COUNT || kvCount > MAX_COUNT)
    throw corrupt(`implausible counts (${tensorCount} tensors, ${kvCount} metadata keys)`);
  const kvStart = at;
  const kvs: GgufKv[] = [];
  for (let i = 0; i < kvCount; i++) {
    const key = str('a metadata key');
    const type = u32();
    const valueOffset = at;
    kvs.push({ key, type, value: value(type), valueOffset });
  }
  const kvEnd = at;
  const alignmentKv = kvs.find((kv) => kv.key === 'general.alignment');
  const alignment = alignmentKv === undefined ? 32 : alignmentKv.value;
  if (typeof alignment !== 'number' || alignment <= 0 || (alignment & (alignment - 1)) !== 0)
    throw corrupt(`general.alignment ${String(alignment)} is not a power of two`);
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = str('a tensor name');
    const nDims = u32();
    if (nDims < 1 || nDims > MAX_DIMS) throw corrupt(`tensor "${name}" has ${nDims} dimensions`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(u64(`a dimension of "${name}"`));
    if (dims.reduce((a, b) => a * b, 1) > Number.MAX_SAFE_INTEGER)
      throw corrupt(`tensor "${name}" is implausibly large`);
    const type = u32();
    const offset = u64(`the offset of "${name}"`);
    if (offset % alignment !== 0) throw corrupt(`tensor "${name}" is not aligned to ${alignment} bytes`);
    const bytes = ggmlTensorBytes(type, dims);
    if (bytes === undefined && GGML_BLOCKS[type] !== undefined)
      throw corrupt(`tensor "${name}" has rows of ${dims[0]} values, not whole blocks of its type ${type}`);
    tensors.push({ name, dims, type, offset, bytes });
  }
  const dataStart = Math.ceil(at / alignment) * alignment;
  for (const t of tensors) {
    const end = dataStart + t.offset + (t.bytes ?? 0);
    if (end > fileSize)
      throw corrupt(`tensor "${t.name}" ends at byte ${end}, past the end of the file (${fileSize} bytes)`, {
        tensor: t.name,
        fileSize,
      });
  }
  return { version, kvs, kvStart, kvEnd, tensors, alignment, dataStart };
}

/**
 * Read a GGUF header from a Blob, reading only as many bytes as the header takes (from 1 MB up,
 * doubling). Throws {@link ModelCorruptError} on anything malformed or truncated.
 */
export async function readGgufHeader(blob: Blob): Promise<GgufHeader> {
  let window = Math.min(blob.size, 1 << 20);
  for (;;) {
    const bytes = new Uint8Array(await blob.slice(0, window).arrayBuffer());
    try {
      return parse(bytes, blob.size);
    } catch (error) {
      if (!(error instanceof NeedMore)) throw error;
      window = Math.min(blob.size, Math.max(window * 2, error.until));
    }
  }
}
