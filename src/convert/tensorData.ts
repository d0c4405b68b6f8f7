// Turns a typed, strided view of raw bytes (a torch storage, a numpy buffer) into a dense float32
// array in row-major order. Contiguous little-endian float32 data is returned as a view, not a copy.

import { ConvertError } from './errors.ts';

export type DType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** A strided array over raw bytes; offset and strides count elements, not bytes. */
export interface StridedArray {
  dtype: DType;
  littleEndian: boolean;
  bytes: Uint8Array;
  offset: number;
  shape: number[];
  strides: number[];
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  const want = contiguousStrides(shape);
  return shape.every((d, i) => d === 1 || strides[i] === want[i]);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

const SCRATCH = new DataView(new ArrayBuffer(4));

type Reader = (view: DataView, byteOffset: number, le: boolean) => number;

const READERS: Record<DType, Reader> = {
  float32: (v, o, le) => v.getFloat32(o, le),
  float16: (v, o, le) => halfToFloat(v.getUint16(o, le)),
  bfloat16: (v, o, le) => {
    // bfloat16 is the top half of a float32.
    SCRATCH.setUint32(0, v.getUint16(o, le) << 16, false);
    return SCRATCH.getFloat32(0, false);
  },
  float64: (v, o, le) => v.getFloat64(o, le),
  int64: (v, o, le) => Number(v.getBigInt64(o, le)),
  int32: (v, o, le) => v.getInt32(o, le),
  int16: (v, o, le) => v.getInt16(o, le),
  int8: (v, o) => v.getInt8(o),
  uint8: (v, o) => v.getUint8(o),
  bool: (v, o) => (v.getUint8(o) ? 1 : 0),
};

/** Dense row-major float32 values of `a`; `where` names the tensor in error messages. */
export function toFloat32(a: StridedArray, where: string): Float32Array {
  const size = DTYPE_BYTES[a.dtype];
  const count = numel(a.shape);
  if (a.shape.some((d) => !Number.isInteger(d) || d < 0)) throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${where}: invalid shape [${a.shape}]`);
  if (count === 0) return new Float32Array(0);
  // Furthest element the view touches must lie inside the buffer.
  let last = a.offset;
  for (let i = 0; i < a.shape.length; i++) last += (a.shape[i] - 1) * Math.max(0, a.strides[i]);
  if (a.offset < 0 || a.strides.some((s) => s < 0) || (last + 1) * size > a.bytes.byteLength) {
    throw new ConvertError(
      'RS_ERR_CHECKPOINT_FORMAT',
      `${where}: shape [${a.shape}] with strides [${a.strides}] and offset ${a.offset} reaches past its ${a.bytes.byteLength / size}-element storage (truncated data?)`,
    );
  }
  const contiguous = isContiguous(a.shape, a.strides);
  const byteStart = a.bytes.byteOffset + a.offset * size;
  if (contiguous && a.dtype === 'float32' && a.littleEndian) {
    if (byteStart % 4 === 0) return new Float32Array(a.bytes.buffer, byteStart, count);
    // Unaligned (arrays inside a pickle): one memcpy into a fresh, aligned buffer.
    // (Uint8Array.prototype.slice: Buffer#slice would return a view.)
    const start = a.offset * size;
    return new Float32Array(Uint8Array.prototype.slice.call(a.bytes, start, start + count * size).buffer);
  }
  const out = new Float32Array(count);
  const view = new DataView(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength);
  const read = READERS[a.dtype];
  const le = a.littleEndian;
  if (contiguous) {
    for (let i = 0, o = a.offset * size; i < count; i++, o += size) out[i] = read(view, o, le);
    return out;
  }
  // General strided gather: walk a multi-index in row-major order.
  const nd = a.shape.length;
  const idx = new Array<number>(nd).fill(0);
  let src = a.offset;
  for (let i = 0; i < count; i++) {
    out[i] = read(view, src * size, le);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      src += a.strides[d];
      if (idx[d] < a.shape[d]) break;
      src -= a.strides[d] * a.shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** An array read from a checkpoint (torch tensor or numpy array); values are decoded on demand. */
export abstract class LoadedArray {
  abstract readonly shape: readonly number[];
  abstract readonly dtype: DType;
  /** Dense row-major float32 values; `where` names the tensor in errors. */
  abstract float32(where: string): Float32Array;
}
