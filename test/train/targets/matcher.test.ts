import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Matcher, BELOW_LOW, BETWEEN } from '../../../src/train/targets/matcher.ts';
import { boxIou } from '../../../src/train/targets/boxIou.ts';
import { loadFixture, tensor, useBackend } from '../losses/tfTestUtil.ts';

const fx = loadFixture('matcher');

for (const backend of ['wasm', 'cpu'] as const) {
  test(`Matcher(0.5, 0.4) equals torchvision det_utils.Matcher, with and without low-quality matches (${backend})`, async () => {
    await useBackend(backend);
    for (const c of fx.cases) {
      const iou = tensor(c.iou) as tf.Tensor2D;
      const strict = new Matcher({ high: fx.high, low: fx.low, allowLowQualityMatches: false }).match(iou);
      assert.deepEqual(Array.from(strict.dataSync()), c.strict, `${c.name}: strict`);
      const lowQ = new Matcher({ high: fx.high, low: fx.low, allowLowQualityMatches: true }).match(iou);
      assert.deepEqual(Array.from(lowQ.dataSync()), c.allow_low_quality, `${c.name}: low-quality`);
      assert.equal(lowQ.dtype, 'int32');
    }
  });
}

test('Matcher on real boxes: IoU from boxIou gives the same matches as torchvision', async () => {
  await useBackend('wasm');
  const c = fx.cases.find((x: { name: string }) => x.name === 'boxes');
  const iou = boxIou(tensor(c.gt_boxes) as tf.Tensor2D, tensor(c.anchors) as tf.Tensor2D);
  assert.deepEqual(Array.from(new Matcher().match(iou).dataSync()), c.allow_low_quality);
});

test('Matcher worked example: thresholds, ignore band, and low-quality ties', async () => {
  await useBackend('wasm');
  // 2 gts x 5 anchors. Anchor 0: 0.7 -> gt 0. Anchor 1: 0.45 -> between. Anchor 2: 0.3 -> below.
  // gt 1's best IoU is 0.3, reached by anchors 2 and 4 (a tie): low-quality matching gives both back their argmax,
  // anchor 2's argmax is gt 1 (0.3 > 0.1), anchor 4's too; anchor 3 (0.0 everywhere) stays background.
  const iou = tf.tensor2d([
    [0.7, 0.45, 0.1, 0.0, 0.2],
    [0.1, 0.2, 0.3, 0.0, 0.3],
  ]);
  assert.deepEqual(Array.from(new Matcher({ allowLowQualityMatches: false }).match(iou).dataSync()), [0, BETWEEN, BELOW_LOW, BELOW_LOW, BELOW_LOW]);
  assert.deepEqual(Array.from(new Matcher().match(iou).dataSync()), [0, BETWEEN, 1, BELOW_LOW, 1]);
  assert.deepEqual(Array.from(new Matcher().match(tf.zeros([0, 3]) as tf.Tensor2D).dataSync()), [-1, -1, -1]);
  assert.throws(() => new Matcher({ high: 0.3, low: 0.4 }), { code: 'RS_ERR_TARGETS_INPUT', message: /low threshold 0.4 must be <= high threshold 0.3/ });
});
