// Reads and writes the safetensors format (https://huggingface.co/docs/safetensors):
// 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, raw data.
// Our model weights are named as in torchvision's RetinaNet state_dict, in PyTorch layout, and stored as
// F32, or as F16 to halve a shipped model (read back as float32: the model always computes in float32).
import { RetinaStreamError } from '../../errors.ts';

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}
export type TensorMap = Map<string, NamedTensor>;

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, F64: 8, I64: 8, I32: 4 };

export class SafetensorsError extends RetinaStreamError<'RS_ERR_SAFETENSORS'> {
  constructor(message: string) {
    super('RS_ERR_SAFETENSORS', message);
  }
}

export function readSafetensors(buf: Uint8Array, name = 'weights'): { tensors: TensorMap; metadata: Record<string, string> } {
  if (buf.byteLength < 8) throw new SafetensorsError(`${name}: file is ${buf.byteLength} bytes, too short for a safetensors header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > buf.byteLength - 8) throw new SafetensorsError(`${name}: header length ${headerLen} exceeds the file size (truncated or not safetensors)`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + headerLen)));
  } catch {
    throw new SafetensorsError(`${name}: header is not valid JSON (not a safetensors file?)`);
  }
  const dataStart = 8 + headerLen;
  const tensors: TensorMap = new Map();
  let metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(header)) {
    if (key === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const [begin, end] = e.data_offsets;
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (e.dtype !== 'F32' && e.dtype !== 'F16') throw new SafetensorsError(`${name}: tensor ${key} has dtype ${e.dtype}, expected F32 or F16`);
    if (end - begin !== count * DTYPE_BYTES[e.dtype] || dataStart + end > buf.byteLength) {
      throw new SafetensorsError(`${name}: tensor ${key} data [${begin}, ${end}) does not fit shape [${e.shape}] or the file (truncated?)`);
    }
    // copy (aligned, owned); Uint8Array's slice even when `buf` is a Node Buffer, whose slice is a view
    const bytes = Uint8Array.prototype.slice.call(buf, dataStart + begin, dataStart + end);
    const data = e.dtype === 'F32' ? new Float32Array(bytes.buffer, bytes.byteOffset, count) : halfToFloat(new Uint16Array(bytes.buffer, bytes.byteOffset, count));
    tensors.set(key, { shape: e.shape, data });
  }
  return { tensors, metadata };
}

/** Writes F32, or F16 (round to nearest even; values beyond the F16 range are an error, not infinities). */
export function writeSafetensors(tensors: TensorMap, metadata: Record<string, string> = {}, dtype: 'F32' | 'F16' = 'F32'): Uint8Array {
  const names = [...tensors.keys()].sort();
  const bytesPer = DTYPE_BYTES[dtype];
  const encoded = new Map<string, Uint8Array>();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const n of names) {
    const t = tensors.get(n)!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new SafetensorsError(`tensor ${n}: shape [${t.shape}] has ${count} elements, data has ${t.data.length}`);
    const raw = dtype === 'F32' ? t.data : floatToHalf(t.data, n);
    encoded.set(n, new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
    header[n] = { dtype, shape: t.shape, data_offsets: [offset, offset + count * bytesPer] };
    offset += count * bytesPer;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // align the data to 8 bytes
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const n of names) {
    const d = encoded.get(n)!;
    out.set(d, pos);
    pos += d.byteLength;
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 -> float32 (exact: every half is a float). */
export function halfToFloat(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const v = h[i];
    const sign = v & 0x8000 ? -1 : 1;
    const exp = (v >> 10) & 0x1f;
    const frac = v & 0x3ff;
    out[i] = exp === 0 ? sign * frac * 2 ** -24 : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * (1024 + frac) * 2 ** (exp - 25);
  }
  return out;
}

/** float32 -> IEEE 754 binary16, rounding to nearest even (subnormals included). */
export function floatToHalf(x: Float32Array, name = 'tensor'): Uint16Array {
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    f32[0] = x[i];
    const b = u32[0];
    const sign = (b >>> 16) & 0x8000;
    const exp = (b >>> 23) & 0xff;
    let mant = b & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 31) throw new SafetensorsError(`${name}: value ${x[i]} at index ${i} is beyond the float16 range (65504)`);
    if (e <= 0) {
      // subnormal half (or zero): shift the mantissa with its implicit 1 into place, round to nearest even
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - e;
      const half = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const mid = 1 << (shift - 1);
      out[i] = sign | (half + (rem > mid || (rem === mid && half & 1) ? 1 : 0));
      continue;
    }
    const half = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    // carrying into the exponent is correct rounding; it can reach 0x7c00 only from e = 30, mantissa all ones
    const rounded = half + (rem > 0x1000 || (rem === 0x1000 && half & 1) ? 1 : 0);
    if (rounded >= 0x7c00) throw new SafetensorsError(`${name}: value ${x[i]} at index ${i} rounds beyond the float16 range (65504)`);
    out[i] = sign | rounded;
  }
  return out;
}
