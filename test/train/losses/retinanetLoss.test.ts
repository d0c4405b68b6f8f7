import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { retinanetLoss, type BoxLossType } from '../../../src/train/losses/retinanetLoss.ts';
import { EmaNormalizer } from '../../../src/train/losses/normalizer.ts';
import { sigmoidFocalLoss } from '../../../src/train/losses/focalLoss.ts';
import { l1Loss } from '../../../src/train/losses/boxLoss.ts';
import { assignTargets, disposeTargets, type ImageTargets } from '../../../src/train/targets/assignTargets.ts';
import { assertClose, loadFixture, tensor, useBackend } from './tfTestUtil.ts';

// torchvision RetinaNet.compute_loss on 3 images (3 gts, none, 1 gt), 270 anchors, 5 classes.
const fx = loadFixture('retinanet_loss');

function targetsFor(anchors: tf.Tensor2D): ImageTargets[] {
  return fx.images.map((im: { boxes: { shape: number[]; data: number[] }; labels: number[] }) =>
    assignTargets(anchors, { boxes: tensor(im.boxes) as tf.Tensor2D, labels: tf.tensor1d(im.labels, 'int32') }, fx.num_classes),
  );
}

for (const backend of ['wasm', 'cpu'] as const) {
  test(`retinanetLoss equals torchvision RetinaNet.compute_loss (l1, giou, smooth_l1), values and gradients (${backend})`, async () => {
    await useBackend(backend);
    const anchors = tensor(fx.anchors) as tf.Tensor2D;
    const logits = tensor(fx.cls_logits) as tf.Tensor3D;
    const deltas = tensor(fx.bbox_regression) as tf.Tensor3D;
    const targets = targetsFor(anchors);
    for (const v of fx.variants) {
      const opts = { boxLoss: v.box_loss as BoxLossType, smoothL1Beta: v.smooth_l1_beta ?? 0 };
      const out = retinanetLoss(logits, deltas, anchors, targets, opts);
      assertClose(out.clsLoss, v.classification, 1e-5, `${v.box_loss}: classification`);
      assertClose(out.boxLoss, v.bbox_regression, 1e-5, `${v.box_loss}: bbox_regression`);
      assertClose(out.loss, v.total, 1e-5, `${v.box_loss}: total`);
      assert.equal(out.numFg, v.matched_idxs.flat().filter((m: number) => m >= 0).length);
      const [gCls, gBox] = tf.grads((c: tf.Tensor, d: tf.Tensor) => retinanetLoss(c as tf.Tensor3D, d as tf.Tensor3D, anchors, targets, opts).loss)([logits, deltas]);
      assertClose(gCls, v.grad_cls_logits, 1e-5, `${v.box_loss}: d loss / d cls_logits`);
      assertClose(gBox, v.grad_bbox_regression, 1e-5, `${v.box_loss}: d loss / d bbox_regression`);
    }
    targets.forEach(disposeTargets);
  });
}

test('retinanetLoss with the detectron2 EMA normalizer divides batch sums by the updated average', async () => {
  await useBackend('wasm');
  const anchors = tensor(fx.anchors) as tf.Tensor2D;
  const logits = tensor(fx.cls_logits) as tf.Tensor3D;
  const deltas = tensor(fx.bbox_regression) as tf.Tensor3D;
  const targets = targetsFor(anchors);
  const ema = new EmaNormalizer();
  const out = retinanetLoss(logits, deltas, anchors, targets, { boxLoss: 'l1', normalizer: ema });
  const norm = 0.9 * 100 + 0.1 * out.numFg;
  assert.ok(Math.abs(ema.value - norm) < 1e-9);
  // expected sums, computed directly: focal over valid anchors, L1 over foreground anchors
  let cls = 0;
  let box = 0;
  targets.forEach((t, i) => {
    const li = tf.squeeze(tf.slice(logits, [i, 0, 0], [1, -1, -1]), [0]);
    const di = tf.squeeze(tf.slice(deltas, [i, 0, 0], [1, -1, -1]), [0]);
    cls += tf.sum(tf.mul(tf.sum(sigmoidFocalLoss(li, t.classTargets), 1), t.valid)).dataSync()[0];
    box += tf.sum(tf.mul(tf.sum(l1Loss(di, t.boxTargets), 1), t.foreground)).dataSync()[0];
  });
  assertClose(out.clsLoss, cls / norm, 1e-5, 'cls');
  assertClose(out.boxLoss, box / norm, 1e-5, 'box');
});

test('retinanetLoss rejects mismatched heads, anchors and targets', async () => {
  await useBackend('wasm');
  const anchors = tensor(fx.anchors) as tf.Tensor2D;
  const targets = targetsFor(anchors);
  const logits = tf.zeros([3, 270, 5]) as tf.Tensor3D;
  assert.throws(() => retinanetLoss(logits, tf.zeros([3, 270, 3]) as tf.Tensor3D, anchors, targets), { code: 'RS_ERR_LOSS_INPUT', message: /must be \[N, A, K\] and \[N, A, 4\]/ });
  assert.throws(() => retinanetLoss(logits, tf.zeros([3, 270, 4]) as tf.Tensor3D, tf.slice(anchors, 0, 10) as tf.Tensor2D, targets), { code: 'RS_ERR_LOSS_INPUT', message: /10 anchors but the heads predict 270/ });
  assert.throws(() => retinanetLoss(logits, tf.zeros([3, 270, 4]) as tf.Tensor3D, anchors, targets.slice(0, 2)), { code: 'RS_ERR_LOSS_INPUT', message: /2 image targets for a batch of 3/ });
});
