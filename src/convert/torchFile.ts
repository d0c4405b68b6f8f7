// Reads a file written by torch.save: the zip format (torch >= 1.6: `<prefix>/data.pkl` plus raw
// little-endian storages in `<prefix>/data/<key>`) and the legacy format (`_use_new_zipfile_serialization=False`:
// a chain of pickles followed by the storages). Tensors come back as TorchTensor values; nothing is executed.

import { ConvertError } from './errors.ts';
import { ORDERED_DICT, type PyCallable, type PySettable, typeName, unpickleAt } from './pickle.ts';
import { contiguousStrides, type DType, DTYPE_BYTES, LoadedArray, toFloat32 } from './tensorData.ts';
import { looksLikeZip, ZipArchive } from './zip.ts';

/** A storage type global such as torch.FloatStorage. */
class StorageType implements PyCallable {
  constructor(
    readonly qualname: string,
    readonly dtype: DType,
  ) {}
  call(_args: readonly unknown[], where: string): never {
    throw new ConvertError('RS_ERR_PICKLE', `${where}: pickle constructs ${this.qualname} directly, expected it only inside a persistent id`);
  }
}

const STORAGE_TYPES: [string, DType][] = [
  ['FloatStorage', 'float32'],
  ['HalfStorage', 'float16'],
  ['BFloat16Storage', 'bfloat16'],
  ['DoubleStorage', 'float64'],
  ['LongStorage', 'int64'],
  ['IntStorage', 'int32'],
  ['ShortStorage', 'int16'],
  ['CharStorage', 'int8'],
  ['ByteStorage', 'uint8'],
  ['BoolStorage', 'bool'],
];

/** Storage bytes; for legacy files they are attached after the pickle that refers to them. */
interface Storage {
  key: string;
  dtype: DType;
  numel: number;
  bytes?: Uint8Array;
}

export class TorchTensor extends LoadedArray {
  constructor(
    private readonly storage: Storage,
    private readonly offset: number,
    readonly shape: readonly number[],
    private readonly strides: readonly number[],
    private readonly littleEndian: boolean,
  ) {
    super();
  }
  get dtype(): DType {
    return this.storage.dtype;
  }
  float32(where: string): Float32Array {
    if (!this.storage.bytes) throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${where}: storage ${this.storage.key} has no data in the file`);
    return toFloat32(
      { dtype: this.dtype, littleEndian: this.littleEndian, bytes: this.storage.bytes, offset: this.offset, shape: [...this.shape], strides: [...this.strides] },
      where,
    );
  }
}

/** argparse.Namespace: its attributes arrive through BUILD as a dict. */
export class Namespace implements PySettable {
  attributes = new Map<unknown, unknown>();
  setState(state: unknown): void {
    if (state instanceof Map) this.attributes = state;
  }
}

function intList(v: unknown, what: string, where: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isInteger(x))) {
    throw new ConvertError('RS_ERR_PICKLE', `${where}: tensor ${what} is a ${typeName(v)}, expected a tuple of ints`);
  }
  return v as number[];
}

function torchGlobals(littleEndian: boolean): Map<string, PyCallable> {
  const g = new Map<string, PyCallable>();
  g.set(ORDERED_DICT.qualname, ORDERED_DICT);
  for (const [name, dtype] of STORAGE_TYPES) g.set(`torch.${name}`, new StorageType(`torch.${name}`, dtype));
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  g.set('torch._utils._rebuild_tensor_v2', {
    qualname: 'torch._utils._rebuild_tensor_v2',
    call(args, where) {
      const [storage, offset, size, stride] = args;
      if (typeof storage !== 'object' || storage === null || !('dtype' in storage) || !('key' in storage)) {
        throw new ConvertError('RS_ERR_PICKLE', `${where}: _rebuild_tensor_v2 got a ${typeName(storage)}, expected a storage`);
      }
      if (typeof offset !== 'number') throw new ConvertError('RS_ERR_PICKLE', `${where}: _rebuild_tensor_v2 storage offset is a ${typeName(offset)}`);
      const shape = intList(size, 'size', where);
      return new TorchTensor(storage as Storage, offset, shape, stride === undefined ? contiguousStrides(shape) : intList(stride, 'stride', where), littleEndian);
    },
  });
  // Plain containers that training checkpoints carry next to the weights (torchvision's
  // references/detection/train.py saves `args` and a MultiStepLR state with a Counter).
  g.set('argparse.Namespace', { qualname: 'argparse.Namespace', call: () => new Namespace() });
  g.set('collections.Counter', { qualname: 'collections.Counter', call: (args) => (args[0] instanceof Map ? new Map(args[0]) : new Map()) });
  // nn.Parameter objects (whole-module pickles): keep the tensor.
  for (const name of ['_rebuild_parameter', '_rebuild_parameter_with_state']) {
    g.set(`torch._utils.${name}`, { qualname: `torch._utils.${name}`, call: (args) => args[0] });
  }
  return g;
}

function storageFrom(pid: unknown, where: string, storages: Map<string, Storage>): Storage {
  // ('storage', StorageType, key, location, numel[, view_metadata])
  if (!Array.isArray(pid) || pid[0] !== 'storage' || !(pid[1] instanceof StorageType)) {
    throw new ConvertError('RS_ERR_PICKLE', `${where}: persistent id ${JSON.stringify(Array.isArray(pid) ? pid[0] : typeName(pid))} is not a torch storage`);
  }
  const key = String(pid[2]);
  const numel = Number(pid[4]);
  if (pid.length > 5 && pid[5] !== null) throw new ConvertError('RS_ERR_PICKLE', `${where}: storage ${key} is a storage view (torch < 0.4 file), not supported`);
  let s = storages.get(key);
  if (!s) {
    s = { key, dtype: (pid[1] as StorageType).dtype, numel };
    storages.set(key, s);
  }
  return s;
}

/** Reads a torch.save file from memory; `name` is the file name used in errors. */
export function readTorchFile(buf: Uint8Array, name: string): unknown {
  if (looksLikeZip(buf)) return readZipFormat(new ZipArchive(buf, name), name);
  if (looksLikeLegacyTorch(buf)) return readLegacyFormat(buf, name);
  if (buf.byteLength >= 2 && buf[0] === 0x80) {
    throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${name}: a plain pickle, not a torch.save file (a detectron2 .pkl? convert it with --from detectron2)`);
  }
  if (buf.byteLength >= 22 && new DataView(buf.buffer, buf.byteOffset + buf.byteLength - 22).getUint32(0, true) === 0x06054b50) {
    throw new ConvertError('RS_ERR_ZIP', `${name}: zip archive does not start with a local file header (corrupt)`);
  }
  throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${name}: not a PyTorch checkpoint (neither a zip archive nor a pickle)`);
}

function readZipFormat(zip: ZipArchive, name: string): unknown {
  const pkls = zip.names().filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1) {
    throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${name}: expected one <dir>/data.pkl in the zip, found ${pkls.length} (not a torch.save file)`);
  }
  const prefix = pkls[0].slice(0, -'data.pkl'.length);
  let littleEndian = true;
  if (zip.entries.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim();
    if (order !== 'little' && order !== 'big') throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${name}: byteorder is ${JSON.stringify(order)}`);
    littleEndian = order === 'little';
  }
  const where = `${name}:${pkls[0]}`;
  const storages = new Map<string, Storage>();
  const { value } = withModuleHint(() => unpickleAt(zip.read(pkls[0]), 0, {
    name: where,
    globals: torchGlobals(littleEndian),
    persistentLoad: (pid) => {
      const s = storageFrom(pid, where, storages);
      if (!s.bytes) {
        const entry = `${prefix}data/${s.key}`;
        if (!zip.entries.has(entry)) throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${name}: storage ${s.key} refers to missing entry ${entry}`);
        s.bytes = zip.read(entry);
        const want = s.numel * DTYPE_BYTES[s.dtype];
        if (s.bytes.byteLength < want) {
          throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${name}: storage ${entry} has ${s.bytes.byteLength} bytes, expected ${want}`);
        }
      }
      return s;
    },
  }));
  return value;
}

/** A pickled nn.Module needs its classes: say how to get a checkpoint we can read. */
function withModuleHint<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ConvertError && /not an allowed global/.test(err.message)) {
      throw new ConvertError(err.code, `${err.message}; if the file holds a whole pickled model, save model.state_dict() instead`);
    }
    throw err;
  }
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/** Legacy torch.save files open with a pickle of one 10-byte int, the magic number: PROTO n, LONG1 10. */
export function looksLikeLegacyTorch(buf: Uint8Array): boolean {
  return buf.byteLength > 4 && buf[0] === 0x80 && buf[2] === 0x8a && buf[3] === 0x0a;
}

/** True for anything torch.save writes (zip or legacy format). */
export function looksLikeTorchFile(buf: Uint8Array): boolean {
  return looksLikeZip(buf) || looksLikeLegacyTorch(buf);
}

function readLegacyFormat(buf: Uint8Array, name: string): unknown {
  const plain = { name, globals: new Map<string, PyCallable>() };
  const magic = unpickleAt(buf, 0, plain);
  if (magic.value !== LEGACY_MAGIC) {
    throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${name}: legacy torch file has a wrong magic number (corrupt)`);
  }
  const version = unpickleAt(buf, magic.end, plain);
  if (version.value !== 1001) throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${name}: legacy torch format version ${String(version.value)}, expected 1001`);
  const sysInfo = unpickleAt(buf, version.end, plain);
  const info = sysInfo.value instanceof Map ? sysInfo.value : new Map();
  const littleEndian = info.get('little_endian') !== false;
  const storages = new Map<string, Storage>();
  const where = `${name} (legacy format)`;
  const main = withModuleHint(() =>
    unpickleAt(buf, sysInfo.end, {
      name: where,
      globals: torchGlobals(littleEndian),
      persistentLoad: (pid) => storageFrom(pid, where, storages),
    }),
  );
  const keys = unpickleAt(buf, main.end, plain);
  if (!Array.isArray(keys.value)) throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${where}: storage key list is missing`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = keys.end;
  for (const k of keys.value as unknown[]) {
    const s = storages.get(String(k));
    if (!s) throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${where}: storage ${String(k)} is listed but never used`);
    if (pos + 8 > buf.byteLength) throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${where}: storage ${s.key} header is past the end of the file (truncated)`);
    const n = Number(view.getBigInt64(pos, littleEndian));
    const end = pos + 8 + n * DTYPE_BYTES[s.dtype];
    if (end > buf.byteLength) throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${where}: storage ${s.key} data ends past the end of the file (truncated)`);
    s.bytes = buf.subarray(pos + 8, end);
    pos = end;
  }
  return main.value;
}
