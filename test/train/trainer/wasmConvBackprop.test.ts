// The wasm convolution gradients written as forward convolutions, against tfjs-backend-cpu's own
// Conv2DBackpropInput/Filter (an independent implementation) on the conv shapes a ResNet-FPN has.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { wasmForTraining } from './tinySetup.ts';

// [input NHWC, filter HWIO, stride, pad]: 3x3/1 and 3x3/2 (odd and even sizes), 1x1/2 downsample, 7x7/2 stem, 1x1/1.
const CASES: [number[], number[], number, number][] = [
  [[2, 12, 20, 5], [3, 3, 5, 7], 1, 1],
  [[2, 12, 20, 5], [3, 3, 5, 7], 2, 1],
  [[2, 15, 17, 4], [3, 3, 4, 6], 2, 1],
  [[2, 16, 24, 5], [1, 1, 5, 7], 2, 0],
  [[1, 32, 48, 3], [7, 7, 3, 8], 2, 3],
  [[2, 8, 8, 4], [1, 1, 4, 6], 1, 0],
];

function seeded(shape: number[], seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 1073741824 - 1;
  });
}

async function gradients(backend: string): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const out: Float32Array[] = [];
  for (const [i, [xs, ws, stride, pad]] of CASES.entries()) {
    const x = tf.tensor4d(seeded(xs, 1 + i), xs as [number, number, number, number]);
    const w = tf.tensor4d(seeded(ws, 50 + i), ws as [number, number, number, number]);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
      const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad);
      return tf.sum(tf.mul(y, tf.tensor(seeded(y.shape, 99 + i), y.shape)));
    })([x, w]);
    out.push((await dx.data()) as Float32Array, (await dw.data()) as Float32Array);
    tf.dispose([x, w, dx, dw]);
  }
  return out;
}

test('conv gradients on wasm (as forward convs) match the cpu backend', async () => {
  await wasmForTraining();
  const wasm = await gradients('wasm');
  const cpu = await gradients('cpu');
  await tf.setBackend('wasm');
  wasm.forEach((g, k) => {
    const ref = cpu[k];
    assert.equal(g.length, ref.length);
    const scale = Math.max(...ref.map(Math.abs));
    const err = Math.max(...g.map((v, j) => Math.abs(v - ref[j])));
    assert.ok(err <= 1e-5 * scale + 1e-6, `case ${k >> 1} ${k % 2 ? 'dW' : 'dx'}: max error ${err} (scale ${scale})`);
    assert.ok(scale > 0);
  });
});
