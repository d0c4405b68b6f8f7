// Cross-check against the shared torchvision fixtures in test/fixtures/torchvision (made by
// tools/reference/make_unit_fixtures.py), in addition to this module's own test/fixtures/train.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { sigmoidFocalLoss } from '../../../src/train/losses/focalLoss.ts';
import { giouLoss } from '../../../src/train/losses/boxLoss.ts';
import { Matcher } from '../../../src/train/targets/matcher.ts';
import { boxIou } from '../../../src/train/targets/boxIou.ts';
import { decodeBoxes, encodeBoxes } from '../../../src/model/boxCoder.ts';
import { assertClose, useBackend } from './tfTestUtil.ts';

const DIR = new URL('../../fixtures/torchvision/', import.meta.url);
const load = (name: string) => JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8'));
const missing = (name: string) => (existsSync(new URL(`${name}.json`, DIR)) ? false : `test/fixtures/torchvision/${name}.json not generated yet`);

test('sigmoidFocalLoss matches torchvision fixture focal_loss.json', { skip: missing('focal_loss') }, async () => {
  await useBackend('wasm');
  const fx = load('focal_loss');
  const logits = tf.tensor2d(fx.logits);
  const targets = tf.tensor2d(fx.targets);
  for (const c of fx.cases) {
    const what = `alpha ${c.alpha} gamma ${c.gamma}`;
    assertClose(sigmoidFocalLoss(logits, targets, { alpha: c.alpha, gamma: c.gamma }), c.none.flat(), 1e-5, `${what} none`);
    assertClose(sigmoidFocalLoss(logits, targets, { alpha: c.alpha, gamma: c.gamma, reduction: 'sum' }), c.sum, 1e-5, `${what} sum`);
    assertClose(sigmoidFocalLoss(logits, targets, { alpha: c.alpha, gamma: c.gamma, reduction: 'mean' }), c.mean, 1e-5, `${what} mean`);
  }
});

test('giouLoss matches torchvision fixture giou_loss.json', { skip: missing('giou_loss') }, async () => {
  await useBackend('wasm');
  const fx = load('giou_loss');
  const b1 = tf.tensor2d(fx.boxes1);
  const b2 = tf.tensor2d(fx.boxes2);
  assertClose(giouLoss(b1, b2, 'none', fx.eps), fx.loss_none, 1e-5, 'none');
  assertClose(giouLoss(b1, b2, 'sum', fx.eps), fx.loss_sum, 1e-5, 'sum');
  assertClose(giouLoss(b1, b2, 'mean', fx.eps), fx.loss_mean, 1e-5, 'mean');
});

test('Matcher matches torchvision fixture matcher.json (random, ties/thresholds, real boxes)', { skip: missing('matcher') }, async () => {
  await useBackend('wasm');
  const fx = load('matcher');
  for (const c of fx.cases) {
    const iou = c.iou ? tf.tensor2d(c.iou) : boxIou(tf.tensor2d(c.gt_boxes), tf.tensor2d(c.anchors));
    const opts = { high: fx.high_threshold, low: fx.low_threshold };
    assert.deepEqual(Array.from(new Matcher({ ...opts, allowLowQualityMatches: false }).match(iou).dataSync()), c.matches, `${c.name}: strict`);
    assert.deepEqual(Array.from(new Matcher({ ...opts, allowLowQualityMatches: true }).match(iou).dataSync()), c.matches_low_quality, `${c.name}: low quality`);
  }
});

test('encodeBoxes / decodeBoxes match torchvision fixture box_coder.json', { skip: missing('box_coder') }, async () => {
  await useBackend('wasm');
  const fx = load('box_coder');
  assertClose(encodeBoxes(tf.tensor2d(fx.encode.gt), tf.tensor2d(fx.encode.anchors), fx.weights), fx.encode.deltas.flat(), 1e-5, 'encode');
  assertClose(decodeBoxes(tf.tensor2d(fx.decode.deltas), tf.tensor2d(fx.decode.anchors), fx.weights, fx.bbox_xform_clip), fx.decode.boxes.flat(), 1e-5, 'decode');
});
