// The numpy globals a pickle of numpy arrays uses, as data builders: ndarray via
// `_reconstruct` + BUILD (protocols 2-4) or `_frombuffer` (protocol 5), dtype via `numpy.dtype` + BUILD,
// scalars via `multiarray.scalar`. Protocol-2 bytes arrive through `_codecs.encode`.

import { ConvertError } from './errors.ts';
import { CODECS_ENCODE, ORDERED_DICT, type PyCallable, type PySettable, typeName } from './pickle.ts';
import { contiguousStrides, type DType, DTYPE_BYTES, LoadedArray, toFloat32 } from './tensorData.ts';

const DTYPES: Record<string, DType> = {
  f4: 'float32',
  f2: 'float16',
  f8: 'float64',
  i8: 'int64',
  i4: 'int32',
  i2: 'int16',
  i1: 'int8',
  u1: 'uint8',
  b1: 'bool',
};

export class NumpyDType implements PySettable {
  littleEndian = true;
  constructor(readonly dtype: DType) {}
  setState(state: unknown, where: string): void {
    // (version, byteorder, subarray, names, fields, elsize, alignment, flags)
    if (!Array.isArray(state) || typeof state[1] !== 'string') throw new ConvertError('RS_ERR_PICKLE', `${where}: numpy dtype state is a ${typeName(state)}`);
    if (state[2] != null || state[3] != null) throw new ConvertError('RS_ERR_PICKLE', `${where}: structured numpy dtypes are not supported`);
    this.littleEndian = state[1] !== '>';
  }
}

function byteString(v: unknown, where: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return CODECS_ENCODE.call([v, 'latin1'], where) as Uint8Array; // Python 2 str
  throw new ConvertError('RS_ERR_PICKLE', `${where}: numpy array data is a ${typeName(v)}, expected bytes (object arrays are not supported)`);
}

function shapeOf(v: unknown, where: string): number[] {
  if (!Array.isArray(v) || !v.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    throw new ConvertError('RS_ERR_PICKLE', `${where}: numpy shape is a ${typeName(v)}, expected a tuple of ints`);
  }
  return v as number[];
}

function fortranStrides(shape: number[]): number[] {
  return contiguousStrides([...shape].reverse()).reverse();
}

export class NumpyArray extends LoadedArray implements PySettable {
  shape: readonly number[] = [];
  private dt?: NumpyDType;
  private data?: Uint8Array;
  private fortran = false;

  get dtype(): DType {
    if (!this.dt) throw new ConvertError('RS_ERR_PICKLE', 'numpy array was never given its state');
    return this.dt.dtype;
  }

  static from(data: Uint8Array, dt: NumpyDType, shape: number[], fortran: boolean): NumpyArray {
    const a = new NumpyArray();
    a.data = data;
    a.dt = dt;
    a.shape = shape;
    a.fortran = fortran;
    return a;
  }

  setState(state: unknown, where: string): void {
    // (version, shape, dtype, is_fortran, rawdata)
    if (!Array.isArray(state) || state.length < 5 || !(state[2] instanceof NumpyDType)) {
      throw new ConvertError('RS_ERR_PICKLE', `${where}: numpy array state is a ${typeName(state)}, expected (version, shape, dtype, fortran, data)`);
    }
    this.shape = shapeOf(state[1], where);
    this.dt = state[2];
    this.fortran = state[3] === true;
    this.data = byteString(state[4], where);
  }

  float32(where: string): Float32Array {
    if (!this.dt || !this.data) throw new ConvertError('RS_ERR_PICKLE', `${where}: numpy array was never given its data`);
    const shape = [...this.shape];
    const want = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[this.dt.dtype];
    if (this.data.byteLength !== want) {
      throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${where}: numpy array has ${this.data.byteLength} data bytes, shape [${shape}] ${this.dt.dtype} needs ${want}`);
    }
    const strides = this.fortran ? fortranStrides(shape) : contiguousStrides(shape);
    return toFloat32({ dtype: this.dt.dtype, littleEndian: this.dt.littleEndian, bytes: this.data, offset: 0, shape, strides }, where);
  }
}

function dtypeFrom(v: unknown, where: string): NumpyDType {
  if (typeof v !== 'string') throw new ConvertError('RS_ERR_PICKLE', `${where}: numpy dtype name is a ${typeName(v)}`);
  const name = v.replace(/^[<>=|]/, '');
  const dtype = DTYPES[name];
  if (!dtype) throw new ConvertError('RS_ERR_PICKLE', `${where}: numpy dtype ${JSON.stringify(v)} is not supported (expected one of ${Object.keys(DTYPES).join(', ')})`);
  const d = new NumpyDType(dtype);
  d.littleEndian = !v.startsWith('>');
  return d;
}

const NDARRAY: PyCallable = {
  qualname: 'numpy.ndarray',
  call: () => new NumpyArray(),
};

export function numpyGlobals(): Map<string, PyCallable> {
  const g = new Map<string, PyCallable>([
    [ORDERED_DICT.qualname, ORDERED_DICT],
    [CODECS_ENCODE.qualname, CODECS_ENCODE],
    ['numpy.ndarray', NDARRAY],
    ['numpy.dtype', { qualname: 'numpy.dtype', call: (args, where) => dtypeFrom(args[0], where) }],
  ]);
  for (const core of ['numpy.core', 'numpy._core']) {
    // _reconstruct(ndarray, (0,), b'b'): an empty array that BUILD then fills.
    g.set(`${core}.multiarray._reconstruct`, {
      qualname: `${core}.multiarray._reconstruct`,
      call(args, where) {
        if (args[0] !== NDARRAY) throw new ConvertError('RS_ERR_PICKLE', `${where}: _reconstruct of ${typeName(args[0])}, only numpy.ndarray is supported`);
        return new NumpyArray();
      },
    });
    // _frombuffer(buffer, dtype, shape, order): protocol 5.
    g.set(`${core}.numeric._frombuffer`, {
      qualname: `${core}.numeric._frombuffer`,
      call(args, where) {
        const [buf, dt, shape, order] = args;
        if (!(dt instanceof NumpyDType)) throw new ConvertError('RS_ERR_PICKLE', `${where}: _frombuffer dtype is a ${typeName(dt)}`);
        return NumpyArray.from(byteString(buf, where), dt, shapeOf(shape, where), order === 'F');
      },
    });
    // scalar(dtype, bytes): a numpy scalar, returned as a JS number.
    g.set(`${core}.multiarray.scalar`, {
      qualname: `${core}.multiarray.scalar`,
      call(args, where) {
        const [dt, buf] = args;
        if (!(dt instanceof NumpyDType)) throw new ConvertError('RS_ERR_PICKLE', `${where}: numpy scalar dtype is a ${typeName(dt)}`);
        return NumpyArray.from(byteString(buf, where), dt, [], false).float32(where)[0];
      },
    });
  }
  return g;
}
