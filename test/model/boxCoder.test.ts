// Box coding and class-wise NMS against torchvision (BoxCoder, batched_nms, box_iou fixtures).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/backend/select.ts';
import { decodeBoxes, encodeBoxes } from '../../src/model/boxCoder.ts';
import { batchedNmsReference, iou, type Box } from '../../src/model/boxes.ts';

const load = (f: string) => JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'torchvision', f), 'utf8'));
const maxAbs = (a: ArrayLike<number>, b: number[]) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

describe('box coder', () => {
  before(async () => void (await selectBackend()));
  const fx = load('box_coder.json');
  it('encodes like torchvision BoxCoder', () => {
    const d = encodeBoxes(tf.tensor2d(fx.encode.gt), tf.tensor2d(fx.encode.anchors));
    assert.ok(maxAbs(d.dataSync(), fx.encode.deltas.flat()) < 1e-5);
  });
  it('decodes like torchvision, including the log(1000/16) clamp', () => {
    const b = decodeBoxes(tf.tensor2d(fx.decode.deltas), tf.tensor2d(fx.decode.anchors));
    const ref = fx.decode.boxes.flat() as number[];
    const got = b.dataSync();
    ref.forEach((r, i) => assert.ok(Math.abs(got[i] - r) <= 1e-5 * Math.max(1, Math.abs(r)), `coordinate ${i}: ${got[i]} vs ${r}`));
  });
});

describe('class-wise NMS', () => {
  before(async () => void (await selectBackend()));
  const fx = load('batched_nms.json');
  it('box IoU equals torchvision box_iou', () => {
    const { boxes1, boxes2, iou: ref } = fx.box_iou;
    boxes1.forEach((a: Box, i: number) => boxes2.forEach((b: Box, j: number) => assert.ok(Math.abs(iou(a, b) - ref[i][j]) < 1e-6)));
  });
  for (const c of fx.cases) {
    it(`reference and on-device NMS keep what batched_nms keeps (${c.boxes.length} boxes, ${c.num_classes} classes, IoU ${c.iou_threshold})`, async () => {
      assert.deepEqual(batchedNmsReference(c.boxes, c.scores, c.idxs, c.iou_threshold), c.keep);
      // the device path of postprocess.ts: offset boxes per class, one NMS call
      const boxes = tf.tensor2d(c.boxes);
      const shifted = tf.add(boxes, tf.expandDims(tf.mul(tf.tensor1d(c.idxs, 'float32'), tf.add(tf.max(boxes), 1)), 1)) as tf.Tensor2D;
      const keep = await tf.image.nonMaxSuppressionAsync(shifted, tf.tensor1d(c.scores), c.boxes.length, c.iou_threshold, -Infinity);
      assert.deepEqual(Array.from(keep.dataSync()), c.keep);
    });
  }
});
