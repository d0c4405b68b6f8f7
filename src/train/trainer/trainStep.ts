// One training step, as torchvision's RetinaNet trains: normalize the batch -> forward -> per image
// assign targets (outside the gradient tape: they do not depend on the weights) -> focal + box loss ->
// gradients of every variable -> SGD step. Every tensor made here is disposed before returning.
import * as tf from '@tensorflow/tfjs-core';
import { generateAnchors } from '../../model/anchors.ts';
import { normalize } from '../../model/preprocess.ts';
import type { TrainBatch } from '../data/collate.ts';
import { retinanetLoss, type RetinaNetLossOptions } from '../losses/retinanetLoss.ts';
import type { SgdMomentum } from '../optim/sgd.ts';
import { assignTargets, disposeTargets, type ImageTargets } from '../targets/assignTargets.ts';
import type { Matcher } from '../targets/matcher.ts';
import type { TrainableModel } from './trainableModel.ts';

export interface StepResult {
  loss: number;
  clsLoss: number;
  boxLoss: number;
  numFg: number;
  /** Background (negative, not ignored) anchors in the batch: with numFg, the imbalance focal loss is about. */
  numBg: number;
  /** Anchors per image (all levels, A per location). */
  anchorsPerImage: number;
  lr: number;
  gradNorm: number | null;
}

/** Feature map sizes of P3..P7 for a padded input (each level halves with ceil, like the 3x3/2 convs). */
export function featureSizesFor(height: number, width: number): [number, number][] {
  const out: [number, number][] = [];
  let h = height;
  let w = width;
  for (let level = 1; level <= 7; level++) {
    h = Math.ceil(h / 2);
    w = Math.ceil(w / 2);
    if (level >= 3) out.push([h, w]);
  }
  return out;
}

/** Anchors [A, 4] per padded input size, kept across steps. */
export class AnchorCache {
  private readonly cache = new Map<string, tf.Tensor2D>();

  get(model: TrainableModel, height: number, width: number): tf.Tensor2D {
    const key = `${height}x${width}`;
    let t = this.cache.get(key);
    if (!t) {
      const data = generateAnchors(model.config.anchors, [height, width], featureSizesFor(height, width));
      t = tf.keep(tf.tensor2d(data, [data.length / 4, 4]));
      this.cache.set(key, t);
    }
    return t;
  }

  dispose(): void {
    for (const t of this.cache.values()) t.dispose();
    this.cache.clear();
  }
}

export interface StepContext {
  model: TrainableModel;
  optimizer: SgdMomentum;
  anchors: AnchorCache;
  matcher: Matcher;
  loss: RetinaNetLossOptions;
}

/** `labels` in the batch must already be model class indices. */
export function trainStep(ctx: StepContext, batch: TrainBatch): StepResult {
  const { model, optimizer } = ctx;
  const [, h, w] = batch.batchShape;
  const numClasses = model.config.numClasses;
  const anchors = ctx.anchors.get(model, h, w);
  const x = tf.tidy(() => normalize(tf.tensor4d(batch.images, batch.batchShape, 'int32'), model.config.input) as tf.Tensor4D);
  const targets: ImageTargets[] = batch.targets.map((t) => {
    const boxes = tf.tensor2d(t.boxes.flat(), [t.boxes.length, 4], 'float32');
    const labels = tf.tensor1d(t.labels, 'int32');
    try {
      return assignTargets(anchors, { boxes, labels }, numClasses, ctx.matcher);
    } finally {
      tf.dispose([boxes, labels]);
    }
  });
  let parts: tf.Scalar[] = [];
  let numFg = 0;
  const { value, grads } = tf.variableGrads(() => {
    const out = model.net.forward(x);
    const expected = featureSizesFor(h, w);
    if (out.featureSizes.some(([fh, fw], l) => fh !== expected[l][0] || fw !== expected[l][1])) {
      throw new Error(`trainStep: feature sizes ${JSON.stringify(out.featureSizes)} differ from the anchors' ${JSON.stringify(expected)}`);
    }
    const cls = tf.concat(out.cls, 1);
    const box = tf.concat(out.box, 1);
    tf.dispose([...out.cls, ...out.box]);
    const l = retinanetLoss(cls, box, anchors, targets, ctx.loss);
    parts = [tf.keep(l.clsLoss), tf.keep(l.boxLoss)];
    numFg = l.numFg;
    return l.loss;
  }, Object.values(model.variables));
  const info = optimizer.step(grads, model.variables);
  const [loss, clsLoss, boxLoss] = [value, ...parts].map((t) => t.dataSync()[0]);
  tf.dispose([x, value, ...parts, ...Object.values(grads)]);
  targets.forEach(disposeTargets);
  const numBg = targets.reduce((sum, t) => sum + t.numBackground, 0);
  return { loss, clsLoss, boxLoss, numFg, numBg, anchorsPerImage: anchors.shape[0], lr: info.lr, gradNorm: info.gradNorm };
}
