// Per-image training targets for RetinaNet's two heads (torchvision RetinaNet.compute_loss):
// match anchors to gt boxes by IoU, then
//   classTargets [A, K]: one-hot of the matched gt's label on foreground anchors, zeros elsewhere;
//   valid [A]: 1 where the anchor enters the classification loss (foreground or background, not ignored);
//   foreground [A]: 1 on foreground anchors (the only ones in the box loss);
//   matchedBoxes [A, 4]: each foreground anchor's gt box (the anchor itself elsewhere, so coding stays finite);
//   boxTargets [A, 4]: encoded deltas anchor -> matched gt (BoxCoder weights 1), zeros off foreground.
// Computed outside the gradient tape: none of it depends on the weights.
import * as tf from '@tensorflow/tfjs-core';
import { TrainError } from '../losses/trainError.ts';
import { boxIou, checkBoxes } from './boxIou.ts';
import { encodeBoxes, type BoxWeights } from '../../model/boxCoder.ts';
import { BETWEEN, Matcher } from './matcher.ts';

export interface GroundTruth {
  /** [G, 4] x1, y1, x2, y2 in input-image pixels (G may be 0). */
  boxes: tf.Tensor2D;
  /** [G] class index in [0, numClasses). */
  labels: tf.Tensor1D;
}

export interface ImageTargets {
  classTargets: tf.Tensor2D;
  valid: tf.Tensor1D;
  foreground: tf.Tensor1D;
  matchedBoxes: tf.Tensor2D;
  boxTargets: tf.Tensor2D;
  /** int32 [A]: matched gt index, -1 background, -2 ignored. */
  matchedIdxs: tf.Tensor1D;
  numForeground: number;
  /** Background anchors (not foreground, not ignored): with numForeground, the imbalance the focal loss is about. */
  numBackground: number;
}

export function assignTargets(
  anchors: tf.Tensor2D,
  gt: GroundTruth,
  numClasses: number,
  matcher: Matcher = new Matcher(),
  weights: BoxWeights = [1, 1, 1, 1],
): ImageTargets {
  checkBoxes('assignTargets', 'anchors', anchors);
  checkBoxes('assignTargets', 'gt boxes', gt.boxes);
  const g = gt.boxes.shape[0];
  if (gt.labels.rank !== 1 || gt.labels.shape[0] !== g) {
    throw new TrainError('RS_ERR_TARGETS_INPUT', `assignTargets: labels shape [${gt.labels.shape}] does not match ${g} gt boxes`);
  }
  const labels = gt.labels.dataSync();
  for (const l of labels) {
    if (!Number.isInteger(l) || l < 0 || l >= numClasses) throw new TrainError('RS_ERR_TARGETS_INPUT', `assignTargets: label ${l} is outside [0, ${numClasses})`);
  }
  const a = anchors.shape[0];
  const out = tf.tidy(() => {
    const matchedIdxs = g === 0 ? (tf.fill([a], -1, 'int32') as tf.Tensor1D) : matcher.match(boxIou(gt.boxes, anchors));
    const fgBool = tf.greaterEqual(matchedIdxs, 0);
    const foreground = tf.cast(fgBool, 'float32') as tf.Tensor1D;
    const valid = tf.cast(tf.notEqual(matchedIdxs, BETWEEN), 'float32') as tf.Tensor1D;
    if (g === 0) {
      return {
        classTargets: tf.zeros([a, numClasses]) as tf.Tensor2D,
        valid,
        foreground,
        matchedBoxes: anchors.clone(),
        boxTargets: tf.zeros([a, 4]) as tf.Tensor2D,
        matchedIdxs,
      };
    }
    const safeIdx = tf.maximum(matchedIdxs, tf.scalar(0, 'int32')); // background anchors point at gt 0, then get masked
    const anchorLabels = tf.gather(tf.cast(gt.labels, 'int32'), safeIdx);
    const fgCol = tf.expandDims(foreground, 1);
    // oneHot as int32 then cast: wasm's OneHot writes int32 data whatever dtype is asked for.
    const classTargets = tf.mul(tf.cast(tf.oneHot(anchorLabels, numClasses), 'float32'), fgCol) as tf.Tensor2D;
    const matchedBoxes = tf.where(tf.expandDims(fgBool, 1), tf.gather(gt.boxes, safeIdx), anchors) as tf.Tensor2D;
    const boxTargets = tf.mul(encodeBoxes(matchedBoxes, anchors, weights), fgCol) as tf.Tensor2D;
    return { classTargets, valid, foreground, matchedBoxes, boxTargets, matchedIdxs };
  });
  const [numForeground, numValid] = tf.tidy(() => tf.stack([tf.sum(out.foreground), tf.sum(out.valid)]).dataSync());
  return { ...out, numForeground, numBackground: numValid - numForeground };
}

export function disposeTargets(t: ImageTargets): void {
  tf.dispose([t.classTargets, t.valid, t.foreground, t.matchedBoxes, t.boxTargets, t.matchedIdxs]);
}
