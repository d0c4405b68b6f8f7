import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { retinanetLoss } from '../../../src/train/losses/retinanetLoss.ts';
import { initClassBias } from '../../../src/train/losses/priorInit.ts';
import { assignTargets, type ImageTargets } from '../../../src/train/targets/assignTargets.ts';
import { SgdMomentum } from '../../../src/train/optim/sgd.ts';
import { makeLrSchedule } from '../../../src/train/optim/lrSchedule.ts';
import { useBackend } from '../losses/tfTestUtil.ts';

// A tiny RetinaNet-shaped detector (conv + max pool backbone, 2-level FPN with nearest 2x upsample, shared
// class/box subnets) trained with focal loss + L1 box loss and SGD on a fixed batch of two 32x32 images:
// the loss must drop substantially, and the class scores of the objects must rise from the 0.01 prior.

const K = 2;
const STRIDES = [4, 8];
const SIZES = [[8, 11, 14], [16, 22, 28]];

function anchorsFor(): tf.Tensor2D {
  const rows: number[][] = [];
  STRIDES.forEach((s, l) => {
    const n = 32 / s;
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) for (const size of SIZES[l]) rows.push([x * s + s / 2 - size / 2, y * s + s / 2 - size / 2, x * s + s / 2 + size / 2, y * s + s / 2 + size / 2]);
  });
  return tf.tensor2d(rows);
}

/** Objects of class 0 are bright in channel 0, class 1 in channel 1; low noise elsewhere. */
function scene(objects: { box: number[]; label: number }[], seed: number): tf.Tensor3D {
  const img = new Float32Array(32 * 32 * 2);
  let s = seed;
  for (let i = 0; i < img.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    img[i] = 0.1 * (s / 2 ** 32);
  }
  for (const { box: [x1, y1, x2, y2], label } of objects) for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) img[(y * 32 + x) * 2 + label] = 1;
  return tf.tensor3d(img, [32, 32, 2]);
}

function conv(name: string, k: number, cin: number, cout: number, std: number, bias = 0, seed = 1): Record<string, tf.Variable> {
  return {
    [`${name}.w`]: tf.variable(tf.randomNormal([k, k, cin, cout], 0, std, 'float32', seed), true, `toy.${name}.w`),
    [`${name}.b`]: tf.variable(tf.fill([cout], bias), true, `toy.${name}.b`),
  };
}

test('a tiny conv detector trained with focal loss and SGD on wasm learns a fixed toy batch', async () => {
  await useBackend('wasm');
  const images = [
    [{ box: [3, 4, 14, 14], label: 0 }, { box: [17, 15, 30, 29], label: 1 }],
    [{ box: [12, 2, 24, 13], label: 1 }, { box: [4, 18, 16, 30], label: 0 }],
  ];
  const x = tf.stack(images.map((objs, i) => scene(objs, 7 + i))) as tf.Tensor4D;
  const anchors = anchorsFor();
  const A = SIZES[0].length;
  const targets: ImageTargets[] = images.map((objs) =>
    assignTargets(anchors, { boxes: tf.tensor2d(objs.map((o) => o.box)), labels: tf.tensor1d(objs.map((o) => o.label), 'int32') }, K),
  );
  assert.ok(targets.every((t) => t.numForeground >= 2), `every object has foreground anchors (${targets.map((t) => t.numForeground)})`);

  const he = (k: number, cin: number) => Math.sqrt(2 / (k * k * cin));
  const p: Record<string, tf.Variable> = {
    ...conv('c1', 3, 2, 8, he(3, 2), 0, 1),
    ...conv('c2', 3, 8, 16, he(3, 8), 0, 2),
    ...conv('c3', 3, 16, 16, he(3, 16), 0, 3),
    ...conv('lat3', 1, 16, 16, he(1, 16), 0, 4),
    ...conv('lat4', 1, 16, 16, he(1, 16), 0, 5),
    ...conv('cls1', 3, 16, 16, he(3, 16), 0, 6),
    ...conv('box1', 3, 16, 16, he(3, 16), 0, 7),
    ...conv('cls', 3, 16, A * K, 0.01, initClassBias(0.01), 8), // paper init: N(0, 0.01), prior bias
    ...conv('box', 3, 16, A * 4, 0.01, 0, 9),
  };
  const c = (h: tf.Tensor4D, n: string, stride = 1, relu = true) =>
    tf.fused.conv2d({ x: h, filter: p[`${n}.w`] as tf.Tensor4D, bias: p[`${n}.b`], strides: stride, pad: 'same', activation: relu ? 'relu' : 'linear' });
  const forward = () => {
    const c2 = c(tf.maxPool(c(x, 'c1'), 2, 2, 'same'), 'c2', 2); // 8x8, stride 4
    const c3 = c(c2, 'c3', 2); // 4x4, stride 8
    const p4 = c(c3, 'lat4', 1, false);
    const p3 = tf.add(c(c2, 'lat3', 1, false), tf.image.resizeNearestNeighbor(p4, [8, 8])) as tf.Tensor4D;
    const levels = [p3, p4];
    const cls = tf.concat(levels.map((f) => tf.reshape(c(c(f, 'cls1'), 'cls', 1, false), [2, -1, K])), 1) as tf.Tensor3D;
    const box = tf.concat(levels.map((f) => tf.reshape(c(c(f, 'box1'), 'box', 1, false), [2, -1, 4])), 1) as tf.Tensor3D;
    return { cls, box };
  };
  const lossOf = () => retinanetLoss(forward().cls, forward().box, anchors, targets, { boxLoss: 'l1' });

  const steps = 40;
  const opt = new SgdMomentum({ schedule: makeLrSchedule({ baseLr: 0.02, totalIters: steps, warmupIters: 5, warmupFactor: 0.1 }), clipGradNorm: 10 });
  const history: number[] = [];
  const live: number[] = [];
  for (let i = 0; i < steps; i++) {
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => {
      const { cls, box } = forward();
      return retinanetLoss(cls, box, anchors, targets, { boxLoss: 'l1' }).loss;
    }), Object.values(p));
    history.push(value.dataSync()[0]);
    opt.step(grads, Object.fromEntries(Object.values(p).map((v) => [v.name, v])));
    tf.dispose([value, ...Object.values(grads)]);
    live.push(tf.memory().numTensors);
  }
  // no tensor leaks per step (loss, targets, optimizer): the count is flat once momentum buffers exist
  assert.equal(live[steps - 1], live[1], `live tensors per step: ${live}`);
  const final = tf.tidy(() => lossOf().loss.dataSync()[0]);
  assert.ok(history.every(Number.isFinite), `losses finite: ${history}`);
  assert.ok(final < 0.4 * history[0], `loss fell from ${history[0].toFixed(4)} to ${final.toFixed(4)} (need < 40%): ${history.map((h) => h.toFixed(3)).join(' ')}`);
  // the foreground anchors' scores for their own class rose well above the 0.01 prior
  const meanFgScore = tf.tidy(() => {
    const prob = tf.sigmoid(forward().cls);
    const cls = tf.stack(targets.map((t) => t.classTargets));
    return tf.sum(tf.mul(prob, cls)).dataSync()[0] / targets.reduce((s, t) => s + t.numForeground, 0);
  });
  assert.ok(meanFgScore > 0.1, `mean foreground score ${meanFgScore}`);
});
