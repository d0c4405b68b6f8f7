import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { giouLoss, l1Loss, smoothL1Loss } from '../../../src/train/losses/boxLoss.ts';
import { assertClose, loadFixture, tensor, useBackend } from './tfTestUtil.ts';

const fx = loadFixture('box_losses');

test('l1Loss and smoothL1Loss (beta 0, 0.11, 1) match torch, values and gradients', async () => {
  await useBackend('wasm');
  const pred = tensor(fx.pred);
  const target = tensor(fx.target);
  assertClose(l1Loss(pred, target), fx.l1.loss, 1e-5, 'l1');
  assertClose(tf.grad((p: tf.Tensor) => l1Loss(p, target, 'sum'))(pred), fx.l1.grad_pred, 1e-5, 'l1 grad');
  for (const c of fx.smooth_l1) {
    assertClose(smoothL1Loss(pred, target, c.beta), c.loss, 1e-5, `smooth_l1 beta ${c.beta}`);
    assertClose(tf.grad((p: tf.Tensor) => smoothL1Loss(p, target, c.beta, 'sum'))(pred), c.grad_pred, 1e-5, `smooth_l1 beta ${c.beta} grad`);
  }
  // reductions: sum and mean of the elementwise loss
  const elem = Array.from(l1Loss(pred, target).dataSync());
  const sum = elem.reduce((s, x) => s + x, 0);
  assertClose(l1Loss(pred, target, 'sum'), sum, 1e-5, 'l1 sum');
  assertClose(l1Loss(pred, target, 'mean'), sum / elem.length, 1e-5, 'l1 mean');
});

test('giouLoss matches torchvision.ops.generalized_box_iou_loss, values, reductions and gradients', async () => {
  await useBackend('wasm');
  const b1 = tensor(fx.giou.boxes1);
  const b2 = tensor(fx.giou.boxes2);
  assertClose(giouLoss(b1, b2), fx.giou.loss, 1e-5, 'giou');
  assertClose(giouLoss(b1, b2, 'sum'), fx.giou.sum, 1e-5, 'giou sum');
  assertClose(giouLoss(b1, b2, 'mean'), fx.giou.mean, 1e-5, 'giou mean');
  assertClose(tf.grad((b: tf.Tensor) => giouLoss(b, b2, 'sum'))(b1), fx.giou.grad_boxes1, 1e-5, 'giou grad');
  // disjoint boxes (last 4 pairs) have GIoU < 0, i.e. loss > 1
  const loss = giouLoss(b1, b2).dataSync();
  for (let i = 20; i < 24; i++) assert.ok(loss[i] > 1, `disjoint pair ${i}: loss ${loss[i]} should exceed 1`);
});

test('giouLoss of identical boxes is 0 and box losses reject mismatched shapes', () => {
  const b = tf.tensor2d([[0, 0, 10, 10], [5, 5, 6, 9]]);
  assertClose(giouLoss(b, b), [0, 0], 1e-6);
  assert.throws(() => giouLoss(b, tf.zeros([3, 4])), { code: 'RS_ERR_LOSS_INPUT', message: /boxes1 shape \[2,4\] differs from boxes2 shape \[3,4\]/ });
  assert.throws(() => giouLoss(tf.zeros([2, 3]), tf.zeros([2, 3])), { code: 'RS_ERR_LOSS_INPUT', message: /last dimension of 4/ });
  assert.throws(() => smoothL1Loss(b, b, -0.1), { code: 'RS_ERR_LOSS_INPUT', message: /beta -0.1/ });
});
