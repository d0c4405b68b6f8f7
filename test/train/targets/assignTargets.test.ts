import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { assignTargets, disposeTargets } from '../../../src/train/targets/assignTargets.ts';
import { encodeBoxes } from '../../../src/model/boxCoder.ts';
import { assertClose, loadFixture, tensor, useBackend } from '../losses/tfTestUtil.ts';

const fx = loadFixture('retinanet_loss');

test('assignTargets: matches, one-hot class targets, valid mask, box targets and counts agree with torchvision', async () => {
  await useBackend('wasm');
  const anchors = tensor(fx.anchors) as tf.Tensor2D;
  const matchedAll: number[][] = fx.variants[0].matched_idxs;
  fx.images.forEach((im: { boxes: { shape: number[]; data: number[] }; labels: number[] }, i: number) => {
    const gt = { boxes: tensor(im.boxes) as tf.Tensor2D, labels: tf.tensor1d(im.labels, 'int32') };
    const t = assignTargets(anchors, gt, fx.num_classes);
    const matched = matchedAll[i];
    assert.deepEqual(Array.from(t.matchedIdxs.dataSync()), matched, `image ${i}: matched idxs`);
    assert.equal(t.numForeground, matched.filter((m) => m >= 0).length, `image ${i}: numForeground`);
    assert.equal(t.numBackground, matched.filter((m) => m === -1).length, `image ${i}: numBackground (torchvision's -1; -2 is ignored)`);
    const cls = t.classTargets.arraySync();
    const valid = t.valid.dataSync();
    const fg = t.foreground.dataSync();
    const boxTargets = t.boxTargets.arraySync();
    const gtRows = tf.tensor2d(im.boxes.data, [im.boxes.shape[0], 4]).arraySync();
    const anchorRows = anchors.arraySync();
    matched.forEach((m, a) => {
      const expectRow = Array.from({ length: fx.num_classes }, (_v, k) => (m >= 0 && im.labels[m] === k ? 1 : 0));
      assert.deepEqual(cls[a], expectRow, `image ${i} anchor ${a}: class targets`);
      assert.equal(valid[a], m === -2 ? 0 : 1, `image ${i} anchor ${a}: valid`);
      assert.equal(fg[a], m >= 0 ? 1 : 0, `image ${i} anchor ${a}: foreground`);
      if (m >= 0) {
        const enc = encodeBoxes(tf.tensor2d([gtRows[m]]), tf.tensor2d([anchorRows[a]]));
        assertClose(boxTargets[a], enc.dataSync(), 1e-6, `image ${i} anchor ${a}: box target`);
      } else {
        assert.deepEqual(boxTargets[a], [0, 0, 0, 0]);
      }
    });
    disposeTargets(t);
  });
});

test('assignTargets validates labels and shapes', async () => {
  await useBackend('wasm');
  const anchors = tf.tensor2d([[0, 0, 10, 10]]);
  const boxes = tf.tensor2d([[0, 0, 10, 10]]);
  assert.throws(() => assignTargets(anchors, { boxes, labels: tf.tensor1d([5], 'int32') }, 5), { code: 'RS_ERR_TARGETS_INPUT', message: /label 5 is outside \[0, 5\)/ });
  assert.throws(() => assignTargets(anchors, { boxes, labels: tf.tensor1d([1, 2], 'int32') }, 5), { code: 'RS_ERR_TARGETS_INPUT', message: /labels shape \[2\] does not match 1 gt boxes/ });
  assert.throws(() => assignTargets(tf.zeros([3, 5]) as tf.Tensor2D, { boxes, labels: tf.tensor1d([1], 'int32') }, 5), { code: 'RS_ERR_TARGETS_INPUT', message: /anchors must be \[n, 4\]/ });
});
