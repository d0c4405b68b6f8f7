import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { sigmoidFocalLoss } from '../../../src/train/losses/focalLoss.ts';
import { initClassBias } from '../../../src/train/losses/priorInit.ts';
import { assertClose, loadFixture, tensor, useBackend } from './tfTestUtil.ts';

const fx = loadFixture('focal_loss');

for (const backend of ['wasm', 'cpu'] as const) {
  test(`sigmoidFocalLoss matches torchvision.ops.sigmoid_focal_loss, values and gradients (${backend})`, async () => {
    await useBackend(backend);
    const logits = tensor(fx.logits);
    for (const c of fx.cases) {
      const targets = tensor(fx.targets[c.targets]);
      const opts = { alpha: c.alpha, gamma: c.gamma, reduction: c.reduction };
      const what = `alpha ${c.alpha} gamma ${c.gamma} ${c.targets} ${c.reduction}`;
      const loss = sigmoidFocalLoss(logits, targets, opts);
      assertClose(loss, c.loss, 1e-5, `${what} loss`);
      const g = tf.grad((x: tf.Tensor) => tf.sum(sigmoidFocalLoss(x, targets, opts)))(logits);
      assertClose(g, c.grad_logits, 1e-5, `${what} grad`);
      tf.dispose([loss, g, targets]);
    }
    logits.dispose();
  });
}

test('sigmoidFocalLoss stays finite for saturated logits and gamma 0 is alpha-balanced BCE', async () => {
  await useBackend('wasm');
  const x = tf.tensor1d([200, -200, 0]);
  const t = tf.tensor1d([0, 1, 1]);
  // BCE: softplus(200) = 200, softplus(200) = 200 (target 1 at -200), log 2 at 0.
  assertClose(sigmoidFocalLoss(x, t, { alpha: -1, gamma: 0 }), [200, 200, Math.LN2]);
  // alpha 0.25 weighs the positives (targets 1) by 0.25 and the negative by 0.75.
  assertClose(sigmoidFocalLoss(x, t, { alpha: 0.25, gamma: 0 }), [0.75 * 200, 0.25 * 200, 0.25 * Math.LN2]);
  const g = tf.grad((v: tf.Tensor) => tf.sum(sigmoidFocalLoss(v, t)))(x);
  assert.ok(Array.from(g.dataSync()).every(Number.isFinite), `gradient ${g.dataSync()} must be finite`);
});

test('sigmoidFocalLoss rejects mismatched shapes and bad options with RS_ERR_LOSS_INPUT', () => {
  const x = tf.zeros([2, 3]);
  assert.throws(() => sigmoidFocalLoss(x, tf.zeros([3, 2])), { code: 'RS_ERR_LOSS_INPUT', message: /logits shape \[2,3\] differs from targets shape \[3,2\]/ });
  assert.throws(() => sigmoidFocalLoss(x, x, { gamma: -1 }), { code: 'RS_ERR_LOSS_INPUT', message: /gamma -1/ });
  assert.throws(() => sigmoidFocalLoss(x, x, { reduction: 'avg' as 'mean' }), { code: 'RS_ERR_LOSS_INPUT', message: /reduction 'avg'/ });
});

test('initClassBias gives sigmoid(b) = prior (paper: pi = 0.01 -> b = -log(99))', () => {
  assert.ok(Math.abs(initClassBias(0.01) - -Math.log(99)) < 1e-12);
  for (const p of [0.01, 0.2, 0.5]) assert.ok(Math.abs(1 / (1 + Math.exp(-initClassBias(p))) - p) < 1e-12);
  assert.throws(() => initClassBias(1), { code: 'RS_ERR_LOSS_INPUT' });
});
