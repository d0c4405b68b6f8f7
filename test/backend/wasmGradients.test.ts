import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradients } from '../../src/backend/wasmGradients.ts';
import { composeWasm } from '../../src/backend/composer.ts';

// Gradients computed on wasm (with the kernels registered here) against the cpu backend's own
// Conv2DBackpropFilter / UnsortedSegmentSum and the same gradient functions, and against finite differences.

function rand(shape: number[], seed: number): Float32Array {
  let s = seed >>> 0;
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

async function onBackend<T>(name: 'wasm' | 'cpu', f: () => T): Promise<T> {
  registerWasmGradients();
  await tf.setBackend(name);
  await tf.ready();
  let out!: T;
  tf.tidy(() => {
    out = f();
  });
  return out;
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])))) assert.fail(`${what}[${i}]: ${a[i]} vs ${b[i]} (tol ${tol})`);
  }
}

const CONV_CASES = [
  { x: [2, 9, 9, 3], k: 3, co: 5, stride: 1, pad: 'same' },
  { x: [2, 9, 9, 3], k: 3, co: 5, stride: 2, pad: 'same' },
  { x: [3, 10, 7, 4], k: 3, co: 6, stride: 2, pad: 'valid' },
  { x: [2, 8, 8, 4], k: 1, co: 3, stride: 1, pad: 'valid' },
  { x: [1, 11, 13, 2], k: 5, co: 3, stride: 3, pad: 'same' },
  { x: [2, 6, 6, 3], k: 3, co: 2, stride: 1, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
] as const;

test('wasm Conv2DBackpropFilter equals the cpu kernel (strides 1-3, same/valid/explicit padding, batch > 1)', async () => {
  for (const c of CONV_CASES) {
    const filterShape = [c.k, c.k, c.x[3], c.co];
    const xData = rand([...c.x], 1);
    const fData = rand(filterShape, 2);
    const run = () => {
      const x = tf.tensor4d(xData, [...c.x] as [number, number, number, number]);
      const f = tf.tensor4d(fData, filterShape as [number, number, number, number]);
      const pad = c.pad as 'same' | 'valid';
      const y = tf.conv2d(x, f, c.stride, pad);
      const dy = tf.tensor(rand(y.shape, 3), y.shape);
      return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [c.stride, c.stride], pad, dataFormat: 'NHWC', filterShape }) as tf.Tensor;
    };
    const cpu = await onBackend('cpu', () => run().dataSync());
    const wasm = await onBackend('wasm', () => {
      assert.equal(tf.getBackend(), 'wasm');
      return run().dataSync();
    });
    close(wasm, cpu, 1e-5, `conv ${JSON.stringify(c)}`);
  }
  // the composed kernel frees all its intermediates: only the result is left in wasm memory
  await onBackend('wasm', () => {
    const x = tf.ones([2, 9, 9, 3]);
    const dy = tf.ones([2, 5, 5, 4]);
    const before = tf.backend().numDataIds();
    const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] }) as tf.Tensor;
    assert.equal(tf.backend().numDataIds(), before + 1);
    dw.dispose();
  });
});

test('wasm conv2d filter gradient agrees with finite differences', async () => {
  for (const c of [CONV_CASES[1], CONV_CASES[2]]) {
    const filterShape = [c.k, c.k, c.x[3], c.co] as [number, number, number, number];
    const xData = rand([...c.x], 4);
    const fData = rand(filterShape, 5);
    await onBackend('wasm', () => {
      const x = tf.tensor4d(xData, [...c.x] as [number, number, number, number]);
      const r = tf.tensor(rand(tf.conv2d(x, tf.zeros(filterShape), c.stride, c.pad as 'same').shape, 6), tf.conv2d(x, tf.zeros(filterShape), c.stride, c.pad as 'same').shape);
      // L(w) = sum(conv(x, w) * r) is linear in w, so a central difference with step 1 is exact up to rounding.
      const loss = (w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, w as tf.Tensor4D, c.stride, c.pad as 'same'), r));
      const g = tf.grad(loss)(tf.tensor4d(fData, filterShape)).dataSync();
      for (const idx of [0, 7, 19, fData.length - 1]) {
        const plus = fData.slice();
        const minus = fData.slice();
        plus[idx] += 1;
        minus[idx] -= 1;
        const fd = (loss(tf.tensor4d(plus, filterShape)).dataSync()[0] - loss(tf.tensor4d(minus, filterShape)).dataSync()[0]) / 2;
        assert.ok(Math.abs(g[idx] - fd) < 1e-4 * Math.max(1, Math.abs(fd)), `stride ${c.stride} ${c.pad}: dL/dw[${idx}] ${g[idx]} vs finite difference ${fd}`);
      }
    });
  }
});

test('wasm UnsortedSegmentSum (gather gradient) equals cpu, including repeated and unused segments', async () => {
  const data = rand([6, 3, 2], 7);
  const run = () => {
    const ids = tf.tensor1d([2, 0, 2, 2, 4, 0], 'int32');
    const seg = tf.unsortedSegmentSum(tf.tensor3d(data, [6, 3, 2]), ids, 5);
    const table = tf.tensor2d(rand([5, 3], 8), [5, 3]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, tf.tensor1d([1, 1, 4, 0], 'int32')))))(table);
    return [seg.dataSync(), g.dataSync()];
  };
  const cpu = await onBackend('cpu', run);
  const wasm = await onBackend('wasm', run);
  close(wasm[0], cpu[0], 1e-6, 'segment sum');
  close(wasm[1], cpu[1], 1e-6, 'gather grad');
});

test('a RetinaNet-shaped training step (conv, fused conv+relu, max pool, nearest 2x upsample, sigmoid, softplus) has the same gradients on wasm and cpu', async () => {
  const shapes = { w1: [3, 3, 3, 8], w2: [3, 3, 8, 8], b2: [8], lat: [1, 1, 8, 8], w3: [3, 3, 8, 6] };
  const init = Object.fromEntries(Object.entries(shapes).map(([k, s], i) => [k, rand(s, 10 + i)]));
  const xData = rand([2, 16, 16, 3], 20);
  const run = () => {
    const x = tf.tensor4d(xData, [2, 16, 16, 3]);
    const params = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, tf.tensor(init[k], s)])) as Record<string, tf.Tensor>;
    const names = Object.keys(params);
    const f = (...ps: tf.Tensor[]) => {
      const p = Object.fromEntries(names.map((n, i) => [n, ps[i]])) as Record<string, tf.Tensor4D>;
      const c3 = tf.maxPool(tf.relu(tf.conv2d(x, p.w1, 1, 'same')), 2, 2, 'same'); // 8x8
      const c4 = tf.fused.conv2d({ x: c3, filter: p.w2, strides: 2, pad: 'same', bias: ps[names.indexOf('b2')], activation: 'relu' }); // 4x4
      const p3 = tf.add(tf.conv2d(c3, p.lat, 1, 'valid'), tf.image.resizeNearestNeighbor(c4, [8, 8])) as tf.Tensor4D;
      const logits = tf.reshape(tf.conv2d(p3, p.w3, 1, 'same'), [2, -1, 2]);
      const t = tf.cast(tf.greater(tf.tensor(rand(logits.shape, 30), logits.shape), 0.3), 'float32');
      const prob = tf.sigmoid(logits);
      const focal = tf.mul(tf.sub(tf.softplus(logits), tf.mul(logits, t)), tf.square(tf.sub(prob, t)));
      return tf.sum(focal) as tf.Scalar;
    };
    return tf.grads(f)(names.map((n) => params[n])).map((g) => g.dataSync());
  };
  const cpu = await onBackend('cpu', run);
  const wasm = await onBackend('wasm', run);
  cpu.forEach((g, i) => close(wasm[i], g, 1e-4, `param ${i}`));
  assert.ok(cpu.every((g) => g.some((v) => v !== 0)), 'every parameter gets a non-zero gradient');
});

test('nearest 2x upsample gradient for batch 2 sums the four output pixels of each input pixel (wasm and fixed cpu)', async () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    const g = await onBackend(backend, () => {
      const dy = tf.reshape(tf.range(0, 32), [2, 4, 4, 1]);
      return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [4, 4]), dy)))(tf.ones([2, 2, 2, 1])).dataSync();
    });
    // image 0 pixel (0,0) <- dy 0+1+4+5 = 10; image 1 pixel (0,0) <- 16+17+20+21 = 74, ...
    assert.deepEqual(Array.from(g), [10, 18, 42, 50, 74, 82, 106, 114], backend);
  }
});

// Each registered gradient function against central finite differences of L(x) = sum(f(x) * r).
const pos = (shape: number[], seed: number) => tf.add(tf.tensor(rand(shape, seed), shape), 1); // in [0.5, 1.5)
const away = (shape: number[], seed: number) => {
  const u = tf.tensor(rand(shape, seed), shape); // |x| >= 0.1: away from the kinks of abs/relu/max
  return tf.mul(tf.sign(u), tf.add(tf.abs(u), 0.1));
};
const OPS: Record<string, { x: () => tf.Tensor; f: (x: tf.Tensor) => tf.Tensor }> = {
  'add/sub/mul/div with broadcasting': { x: () => pos([3, 4], 1), f: (x) => tf.div(tf.mul(tf.sub(tf.add(x, tf.tensor1d([1, 2, 3, 4])), tf.sum(x, 0)), x), tf.add(tf.slice(x, [0, 0], [1, 4]), 1)) },
  'maximum/minimum/squaredDifference': { x: () => away([3, 4], 2), f: (x) => tf.add(tf.maximum(x, tf.reverse(x, 1)), tf.squaredDifference(tf.minimum(x, 0.05), tf.transpose(tf.reverse(tf.transpose(x), 0)))) },
  'pow/sqrt/rsqrt/log/log1p/reciprocal': { x: () => pos([5], 3), f: (x) => tf.addN([tf.pow(x, 2.5), tf.sqrt(x), tf.rsqrt(x), tf.log(x), tf.log1p(x), tf.reciprocal(x), tf.pow(tf.scalar(1.7), x)]) },
  'exp/neg/abs/square/sigmoid/tanh/softplus': { x: () => away([6], 4), f: (x) => tf.addN([tf.exp(x), tf.neg(tf.abs(x)), tf.square(x), tf.sigmoid(x), tf.tanh(x), tf.softplus(tf.mul(x, 3))]) },
  'relu/relu6/elu/leakyRelu/clipByValue/where': { x: () => tf.mul(away([8], 5), 8), f: (x) => tf.addN([tf.relu(x), tf.relu6(x), tf.elu(x), tf.leakyRelu(x, 0.1), tf.clipByValue(x, -1.5, 2.5), tf.where(tf.greater(x, 0), tf.square(x), tf.mul(x, 3))]) },
  'sum/mean/max/min over axes': { x: () => away([3, 4, 2], 6), f: (x) => tf.concat([tf.reshape(tf.sum(x, [0, 2]), [-1]), tf.reshape(tf.mean(x, 1), [-1]), tf.reshape(tf.max(x, 2), [-1]), tf.reshape(tf.min(x, [1], true), [-1])]) },
  'reshape/expandDims/transpose/concat/stack/unstack/split': { x: () => away([2, 3, 4], 7), f: (x) => { const [a, b] = tf.split(x, [1, 3], 2); return tf.concat([tf.reshape(tf.transpose(a, [2, 0, 1]), [-1]), tf.reshape(tf.stack(tf.unstack(tf.expandDims(b, 0), 2), 1), [-1])]); } },
  'slice/stridedSlice-free pad/tile/gather': { x: () => away([3, 4], 8), f: (x) => tf.concat([tf.reshape(tf.pad(tf.slice(x, [1, 1], [2, 2]), [[1, 0], [0, 2]]), [-1]), tf.reshape(tf.tile(x, [2, 3]), [-1]), tf.reshape(tf.gather(x, tf.tensor1d([2, 0, 2], 'int32'), 0), [-1]), tf.reshape(tf.gather(x, tf.tensor1d([3, 3], 'int32'), 1), [-1])]) },
  'batchNorm (frozen statistics, as in the backbone) and its parameters': { x: () => away([2, 3, 4], 12), f: (x) => tf.add(tf.batchNorm(x, tf.tensor1d([0.1, -0.2, 0.3, 0]), tf.tensor1d([0.5, 1, 2, 0.7]), tf.tensor1d([0.3, 0.2, 0.1, 0]), tf.tensor1d([1, 2, 0.5, -1]), 1e-5), tf.batchNorm(tf.square(x), tf.slice(tf.reshape(x, [-1]), 0, 4), tf.add(tf.square(tf.slice(tf.reshape(x, [-1]), 4, 4)), 0.5), tf.slice(tf.reshape(x, [-1]), 8, 4), tf.slice(tf.reshape(x, [-1]), 12, 4), 1e-3)) },
  'matMul (all transposes) and batched matMul': { x: () => away([3, 3], 9), f: (x) => tf.concat([tf.reshape(tf.matMul(x, tf.square(x)), [-1]), tf.reshape(tf.matMul(x, x, true, false), [-1]), tf.reshape(tf.matMul(x, x, false, true), [-1]), tf.reshape(tf.matMul(x, x, true, true), [-1]), tf.reshape(tf.matMul(tf.stack([x, tf.square(x)]), tf.stack([x, x])), [-1])]) },
  'conv2d/conv2dTranspose/avgPool/maxPool input gradients': { x: () => away([2, 6, 6, 2], 10), f: (x) => { const w = tf.tensor4d(rand([3, 3, 2, 3], 11), [3, 3, 2, 3]); const ramp = tf.tensor(Array.from({ length: 144 }, (_v, i) => (i * 37) % 144), [2, 6, 6, 2]); /* distinct values 1 apart: no max pool ties within eps */ const y = tf.conv2d(x as tf.Tensor4D, w, 2, 'same'); return tf.concat([tf.reshape(tf.conv2dTranspose(y, w, [2, 6, 6, 2], 2, 'same'), [-1]), tf.reshape(tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'), [-1]), tf.reshape(tf.maxPool(tf.add(tf.mul(x, 0.1), ramp) as tf.Tensor4D, 3, 1, 'same'), [-1])]); } },
};

for (const backend of ['wasm', 'cpu'] as const) {
  test(`registered gradient functions agree with finite differences (${backend})`, async () => {
    for (const [name, { x: mk, f }] of Object.entries(OPS)) {
      await onBackend(backend, () => {
        const x0 = mk();
        const r = tf.tensor(rand(f(x0).shape, 99), f(x0).shape);
        const loss = (x: tf.Tensor) => tf.sum(tf.mul(f(x), r)) as tf.Scalar;
        const g = tf.grad(loss)(x0).dataSync();
        const base = x0.dataSync();
        const eps = 1e-2;
        for (let i = 0; i < base.length; i += Math.max(1, Math.floor(base.length / 7))) {
          const p = base.slice();
          const m = base.slice();
          p[i] += eps;
          m[i] -= eps;
          const fd = (loss(tf.tensor(p, x0.shape)).dataSync()[0] - loss(tf.tensor(m, x0.shape)).dataSync()[0]) / (2 * eps);
          assert.ok(Math.abs(g[i] - fd) <= 2e-2 * Math.max(1, Math.abs(fd)), `${name}: dL/dx[${i}] = ${g[i]}, finite difference ${fd}`);
        }
      });
    }
  });
}

test('registerWasmGradients is idempotent and fills only missing kernels', () => {
  registerWasmGradients();
  registerWasmGradients();
  assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'));
  assert.ok(tf.getGradient('Conv2D'));
  assert.ok(tf.getGradient('Sum'));
});

test('a composed wasm kernel frees its intermediates, also when one of its kernels throws', async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  const backend = tf.backend();
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const before = backend.numDataIds();
  const out = composeWasm(backend, (c) => {
    const t = c.run('Transpose', { x }, { perm: [1, 0] });
    const r = c.run('Reshape', { x: t }, { shape: [4] });
    return c.run('Neg', { x: r });
  });
  assert.equal(backend.numDataIds(), before + 1, 'only the result is left');
  assert.deepEqual(Array.from(backend.readSync(out.dataId) as Float32Array), [-1, -3, -2, -4]);
  backend.disposeData(out.dataId);
  assert.throws(
    () => composeWasm(backend, (c) => {
      c.run('Transpose', { x }, { perm: [1, 0] });
      return c.run('NoSuchKernel', { x });
    }),
    /wasm kernel composition: kernel NoSuchKernel is not registered for wasm/,
  );
  assert.equal(backend.numDataIds(), before, 'nothing left after the throw');
  x.dispose();
});
