// What both converters share: reading the file, finding the state dict inside the unpickled
// object, and decoding the kept arrays to float32 under their canonical names.

import { readFile, stat } from 'node:fs/promises';
import type { DeepPartial, ModelConfig } from '../model/config.ts';
import type { TensorMap } from '../model/weights/safetensors.ts';
import { ConvertError } from './errors.ts';
import { typeName } from './pickle.ts';
import { LoadedArray } from './tensorData.ts';

/** The whole file in memory; a missing path or a directory is a RS_ERR_CONVERT_FILE naming it. */
export async function readCheckpointFile(path: string): Promise<Uint8Array> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConvertError('RS_ERR_CONVERT_FILE', `${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (err as Error).message})`}`);
  }
  if (!st.isFile()) throw new ConvertError('RS_ERR_CONVERT_FILE', `${path}: not a regular file`);
  if (st.size === 0) throw new ConvertError('RS_ERR_CONVERT_FILE', `${path}: file is empty`);
  return readFile(path);
}

/**
 * The name -> array dict of a checkpoint: the object itself, or its `model` / `state_dict` entry.
 * Entries that are not arrays (D2's `__author__` in a bare dict, say) are skipped and counted.
 */
export function findStateDict(obj: unknown, name: string): { arrays: Map<string, LoadedArray>; container: string; skipped: string[] } {
  if (!(obj instanceof Map)) throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${name}: top-level object is a ${typeName(obj)}, expected a dict (state_dict)`);
  let dict: Map<unknown, unknown> = obj;
  let container = 'top-level dict';
  for (const key of ['model', 'state_dict']) {
    const inner = obj.get(key);
    if (inner instanceof Map) {
      dict = inner;
      container = `'${key}' entry`;
      break;
    }
  }
  const arrays = new Map<string, LoadedArray>();
  const skipped: string[] = [];
  for (const [k, v] of dict) {
    if (typeof k === 'string' && v instanceof LoadedArray) arrays.set(k, v);
    else skipped.push(String(k));
  }
  if (arrays.size === 0) throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${name}: the ${container} holds no tensors (not a model checkpoint)`);
  return { arrays, container, skipped };
}

export function shapesOf(arrays: Map<string, LoadedArray>): Map<string, readonly number[]> {
  return new Map([...arrays].map(([k, a]) => [k, a.shape]));
}

/** Decodes every array to float32 (views where the file already holds contiguous float32). */
export function materialize(arrays: Map<string, LoadedArray>, name: string): TensorMap {
  const out: TensorMap = new Map();
  for (const [k, a] of arrays) out.set(k, { shape: [...a.shape], data: a.float32(`${name}: tensor ${k}`) });
  return out;
}

/** A converted checkpoint: canonical float32 tensors, the config it implies, and what was done. */
export interface Converted {
  tensors: TensorMap;
  config: DeepPartial<ModelConfig>;
  report: string[];
}
