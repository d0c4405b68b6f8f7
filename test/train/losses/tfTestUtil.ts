// Test helpers for the training numerics: backend setup, fixture loading, tolerant comparison.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { registerWasmGradients } from '../../../src/backend/wasmGradients.ts';

export interface FixtureTensor {
  shape: number[];
  /** null where torch's value is NaN (e.g. its gradient of (1 - p_t)^gamma, gamma < 1, at p_t = 1). */
  data: (number | null)[];
}

const FIXTURES = new URL('../../fixtures/train/', import.meta.url);

export function loadFixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as T;
}

export function tensor(f: FixtureTensor): tf.Tensor {
  return tf.tensor(f.data as number[], f.shape, 'float32');
}

/** Selects a backend (registering gradients first) and returns it. */
export async function useBackend(name: 'wasm' | 'cpu'): Promise<string> {
  registerWasmGradients();
  await tf.setBackend(name);
  await tf.ready();
  assert.equal(tf.getBackend(), name);
  return name;
}

/** |actual - expected| <= tol * max(1, |expected|) elementwise; the message names the first bad index. */
export function assertClose(actual: tf.Tensor | ArrayLike<number> | number, expected: FixtureTensor | ArrayLike<number> | number, tol = 1e-5, what = 'value'): void {
  const a = typeof actual === 'number' ? [actual] : actual instanceof tf.Tensor ? Array.from(actual.dataSync()) : Array.from(actual);
  const e: (number | null)[] = typeof expected === 'number' ? [expected] : 'data' in (expected as object) ? (expected as FixtureTensor).data : Array.from(expected as ArrayLike<number>);
  if (actual instanceof tf.Tensor && typeof expected === 'object' && 'shape' in (expected as object)) {
    assert.deepEqual(actual.shape, (expected as FixtureTensor).shape, `${what}: shape`);
  }
  assert.equal(a.length, e.length, `${what}: ${a.length} values, expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    if (e[i] === null) continue; // torch is NaN here: nothing to compare against
    const ok = Math.abs(a[i] - e[i]!) <= tol * Math.max(1, Math.abs(e[i]!));
    if (!ok) assert.fail(`${what}[${i}] = ${a[i]}, expected ${e[i]} (tolerance ${tol})`);
  }
}
