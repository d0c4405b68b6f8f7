// Reads and writes the safetensors format (https://huggingface.co/docs/safetensors):
// 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, raw data.
// Our model weights are float32 tensors named as in torchvision's RetinaNet state_dict, in PyTorch layout.

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}
export type TensorMap = Map<string, NamedTensor>;

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, F64: 8, I64: 8, I32: 4 };

export class SafetensorsError extends Error {
  readonly code = 'RS_ERR_SAFETENSORS';
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
    if (e.dtype !== 'F32') throw new SafetensorsError(`${name}: tensor ${key} has dtype ${e.dtype}, expected F32`);
    if (end - begin !== count * DTYPE_BYTES.F32 || dataStart + end > buf.byteLength) {
      throw new SafetensorsError(`${name}: tensor ${key} data [${begin}, ${end}) does not fit shape [${e.shape}] or the file (truncated?)`);
    }
    // copy (aligned, owned); Uint8Array's slice even when `buf` is a Node Buffer, whose slice is a view
    const bytes = Uint8Array.prototype.slice.call(buf, dataStart + begin, dataStart + end);
    tensors.set(key, { shape: e.shape, data: new Float32Array(bytes.buffer, bytes.byteOffset, count) });
  }
  return { tensors, metadata };
}

export function writeSafetensors(tensors: TensorMap, metadata: Record<string, string> = {}): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const n of names) {
    const t = tensors.get(n)!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new SafetensorsError(`tensor ${n}: shape [${t.shape}] has ${count} elements, data has ${t.data.length}`);
    header[n] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // align the data to 8 bytes
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const n of names) {
    const d = tensors.get(n)!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}
