// Exact comparison of two tensor maps: same names, same shapes, bit-identical float32 values.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readSafetensors, type TensorMap } from '../../src/model/weights/safetensors.ts';

export function readReference(path: string): TensorMap {
  // A plain Uint8Array copy: readSafetensors' `slice` is a view (not a copy) on a Node Buffer, which
  // breaks on headers whose length is not a multiple of 4 (reported to the lead).
  return readSafetensors(new Uint8Array(readFileSync(path)), path).tensors;
}

export function assertSameTensors(got: TensorMap, want: TensorMap): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  const differ: string[] = [];
  for (const [k, w] of want) {
    const g = got.get(k)!;
    assert.deepEqual(g.shape, w.shape, `shape of ${k}`);
    assert.ok(g.data instanceof Float32Array, `${k} is float32`);
    const gb = Buffer.from(g.data.buffer, g.data.byteOffset, g.data.byteLength);
    const wb = Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength);
    if (!gb.equals(wb)) differ.push(k);
  }
  assert.deepEqual(differ, [], 'tensors whose values differ from the reference');
}
