import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { boxIou } from '../../../src/train/targets/boxIou.ts';
import { decodeBoxes, encodeBoxes, BBOX_XFORM_CLIP } from '../../../src/model/boxCoder.ts';
import { assertClose, loadFixture, tensor, useBackend } from '../losses/tfTestUtil.ts';

const fx = loadFixture('box_ops');

test('boxIou matches torchvision.ops.box_iou', async () => {
  await useBackend('wasm');
  const iou = boxIou(tensor(fx.boxes1) as tf.Tensor2D, tensor(fx.boxes2) as tf.Tensor2D);
  assertClose(iou, fx.iou, 1e-5, 'iou');
  assert.equal(iou.dataSync()[0], 1, 'identical boxes have IoU 1');
});

test('encodeBoxes / decodeBoxes match det_utils.BoxCoder((1,1,1,1)), including the dw/dh clamp', async () => {
  await useBackend('wasm');
  assert.equal(BBOX_XFORM_CLIP, fx.bbox_xform_clip);
  const anchors = tensor(fx.anchors);
  assertClose(encodeBoxes(tensor(fx.gt), anchors), fx.encoded, 1e-5, 'encode');
  assertClose(decodeBoxes(tensor(fx.deltas), anchors), fx.decoded, 1e-5, 'decode');
  // round trip
  assertClose(decodeBoxes(encodeBoxes(tensor(fx.gt), anchors), anchors), fx.gt, 1e-4, 'round trip');
});

test('boxIou rejects non-[n,4] inputs', () => {
  assert.throws(() => boxIou(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([1, 4]) as tf.Tensor2D), { code: 'RS_ERR_TARGETS_INPUT', message: /boxes1 must be \[n, 4\]/ });
});
