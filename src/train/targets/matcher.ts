// Anchor-to-ground-truth matching, torchvision det_utils.Matcher semantics:
// each anchor takes the gt it overlaps most (argmax over gts, first on ties); IoU < low -> BELOW_LOW (-1,
// background); low <= IoU < high -> BETWEEN (-2, ignored); with allowLowQualityMatches, every anchor that
// attains some gt's maximum IoU (all of them on ties, even a maximum of 0) gets back its argmax gt.
import * as tf from '@tensorflow/tfjs-core';
import { TrainError } from '../losses/trainError.ts';

export const BELOW_LOW = -1;
export const BETWEEN = -2;

export interface MatcherOptions {
  /** IoU >= high: foreground. Paper: 0.5. */
  high?: number;
  /** IoU < low: background; between low and high: ignored. Paper: 0.4. */
  low?: number;
  /** Keep, for each gt, its best anchors even below `high` (torchvision and detectron2 RetinaNet: true). */
  allowLowQualityMatches?: boolean;
}

export class Matcher {
  readonly high: number;
  readonly low: number;
  readonly allowLowQualityMatches: boolean;

  constructor(options: MatcherOptions = {}) {
    const { high = 0.5, low = 0.4, allowLowQualityMatches = true } = options;
    if (!(low <= high)) throw new TrainError('RS_ERR_TARGETS_INPUT', `Matcher: low threshold ${low} must be <= high threshold ${high}`);
    this.high = high;
    this.low = low;
    this.allowLowQualityMatches = allowLowQualityMatches;
  }

  /** iou: [G, A] (gts x anchors) -> int32 [A]: matched gt index, BELOW_LOW or BETWEEN. */
  match(iou: tf.Tensor2D): tf.Tensor1D {
    if (iou.rank !== 2) throw new TrainError('RS_ERR_TARGETS_INPUT', `Matcher.match: IoU matrix must be [gts, anchors], got shape [${iou.shape}]`);
    const [g, a] = iou.shape;
    if (g === 0) return tf.fill([a], BELOW_LOW, 'int32') as tf.Tensor1D;
    return tf.tidy(() => {
      const best = tf.max(iou, 0); // [A]
      const argBest = tf.cast(tf.argMax(iou, 0), 'int32'); // [A]
      let matches = tf.where(tf.less(best, this.low), tf.fill([a], BELOW_LOW, 'int32'), tf.where(tf.less(best, this.high), tf.fill([a], BETWEEN, 'int32'), argBest));
      if (this.allowLowQualityMatches) {
        const bestPerGt = tf.max(iou, 1, true); // [G, 1]
        const isBestForSomeGt = tf.any(tf.equal(iou, bestPerGt), 0); // [A]
        matches = tf.where(isBestForSomeGt, argBest, matches);
      }
      return matches as tf.Tensor1D;
    });
  }
}
