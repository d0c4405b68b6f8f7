// RetinaNet's training loss, as torchvision's RetinaNet computes it (detectron2's variant as an option):
//   per image i: cls_i = sum of focal loss over valid anchors (foreground + background) and all K classes,
//                box_i = sum of the box loss over foreground anchors,
//   torchvision: loss = mean_i (cls_i + box_i) / max(1, numFg_i);
//   detectron2:  loss = (sum_i cls_i + sum_i box_i) / ema(max(1, sum_i numFg_i)).
// Images without ground truth contribute background-only classification loss and no box loss.
import * as tf from '@tensorflow/tfjs-core';
import { sigmoidFocalLoss } from './focalLoss.ts';
import { giouLoss, l1Loss, smoothL1Loss } from './boxLoss.ts';
import { EmaNormalizer } from './normalizer.ts';
import { TrainError } from './trainError.ts';
import { decodeBoxes, BBOX_XFORM_CLIP, type BoxWeights } from '../../model/boxCoder.ts';
import type { ImageTargets } from '../targets/assignTargets.ts';

export type BoxLossType = 'l1' | 'smooth_l1' | 'giou';

export interface RetinaNetLossOptions {
  alpha?: number;
  gamma?: number;
  /** torchvision v1 'l1', v2 'giou'; detectron2 'smooth_l1' with beta 0 (= l1); ODTK smooth_l1 beta 0.11. */
  boxLoss?: BoxLossType;
  smoothL1Beta?: number;
  /** Per image max(1, numFg) (torchvision), or an EMA over batch totals (detectron2; one instance for the whole run,
   *  updated by every call, so call once per training step). */
  normalizer?: 'perImage' | EmaNormalizer;
  boxWeights?: BoxWeights;
  /** Clamp of dw, dh when decoding for the GIoU loss. */
  bboxXformClip?: number | null;
}

export interface RetinaNetLoss {
  loss: tf.Scalar;
  clsLoss: tf.Scalar;
  boxLoss: tf.Scalar;
  /** Foreground anchors in the batch. */
  numFg: number;
}

/**
 * clsLogits [N, A, K], boxDeltas [N, A, 4], anchors [A, 4] (same anchors for every image of the batch),
 * targets: one ImageTargets per image from assignTargets (computed outside the gradient tape).
 */
export function retinanetLoss(clsLogits: tf.Tensor3D, boxDeltas: tf.Tensor3D, anchors: tf.Tensor2D, targets: ImageTargets[], options: RetinaNetLossOptions = {}): RetinaNetLoss {
  const { alpha = 0.25, gamma = 2, boxLoss = 'l1', smoothL1Beta = 0, normalizer = 'perImage', boxWeights = [1, 1, 1, 1], bboxXformClip = BBOX_XFORM_CLIP } = options;
  const [n, a, k] = clsLogits.shape;
  if (clsLogits.rank !== 3 || boxDeltas.rank !== 3 || boxDeltas.shape[0] !== n || boxDeltas.shape[1] !== a || boxDeltas.shape[2] !== 4) {
    throw new TrainError('RS_ERR_LOSS_INPUT', `retinanetLoss: clsLogits [${clsLogits.shape}] and boxDeltas [${boxDeltas.shape}] must be [N, A, K] and [N, A, 4]`);
  }
  if (anchors.shape[0] !== a) throw new TrainError('RS_ERR_LOSS_INPUT', `retinanetLoss: ${anchors.shape[0]} anchors but the heads predict ${a} per image`);
  if (targets.length !== n) throw new TrainError('RS_ERR_LOSS_INPUT', `retinanetLoss: ${targets.length} image targets for a batch of ${n}`);
  for (const t of targets) {
    if (t.classTargets.shape[0] !== a || t.classTargets.shape[1] !== k) {
      throw new TrainError('RS_ERR_LOSS_INPUT', `retinanetLoss: class targets [${t.classTargets.shape}] do not match logits [${a}, ${k}] per image`);
    }
  }
  if (boxLoss !== 'l1' && boxLoss !== 'smooth_l1' && boxLoss !== 'giou') throw new TrainError('RS_ERR_LOSS_INPUT', `retinanetLoss: boxLoss '${boxLoss}' is not one of l1, smooth_l1, giou`);
  const fgCounts = targets.map((t) => t.numForeground);
  const numFg = fgCounts.reduce((s, x) => s + x, 0);
  const ema = normalizer === 'perImage' ? null : normalizer.update(numFg);

  const [loss, clsLoss, boxLossValue] = tf.tidy(() => {
    const classTargets = tf.stack(targets.map((t) => t.classTargets)); // [N, A, K]
    const valid = tf.stack(targets.map((t) => t.valid)); // [N, A]
    const fg = tf.stack(targets.map((t) => t.foreground)); // [N, A]
    const focal = sigmoidFocalLoss(clsLogits, classTargets, { alpha, gamma, reduction: 'none' });
    const clsPerImage = tf.sum(tf.mul(tf.sum(focal, 2), valid), 1); // [N]
    let perAnchor: tf.Tensor; // [N, A]
    if (boxLoss === 'giou') {
      const matched = tf.stack(targets.map((t) => t.matchedBoxes));
      const decoded = decodeBoxes(boxDeltas, tf.broadcastTo(anchors, [n, a, 4]), boxWeights, bboxXformClip);
      perAnchor = giouLoss(decoded, matched, 'none');
    } else {
      const boxTargets = tf.stack(targets.map((t) => t.boxTargets));
      const elem = boxLoss === 'l1' ? l1Loss(boxDeltas, boxTargets) : smoothL1Loss(boxDeltas, boxTargets, smoothL1Beta);
      perAnchor = tf.sum(elem, 2);
    }
    // where() rather than a product: a background anchor's decoded box may be anything, and 0 * NaN is NaN.
    const boxPerImage = tf.sum(tf.where(tf.greater(fg, 0), perAnchor, tf.zerosLike(perAnchor)), 1); // [N]
    let cls: tf.Scalar;
    let box: tf.Scalar;
    if (ema === null) {
      const norm = tf.maximum(tf.tensor1d(fgCounts), 1);
      cls = tf.div(tf.sum(tf.div(clsPerImage, norm)), n);
      box = tf.div(tf.sum(tf.div(boxPerImage, norm)), n);
    } else {
      cls = tf.div(tf.sum(clsPerImage), ema);
      box = tf.div(tf.sum(boxPerImage), ema);
    }
    return [tf.add(cls, box) as tf.Scalar, cls, box];
  });
  return { loss, clsLoss, boxLoss: boxLossValue, numFg };
}
