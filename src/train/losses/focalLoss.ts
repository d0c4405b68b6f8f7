// Sigmoid focal loss (Lin et al. 2017, eq. 5) from logits, equal to torchvision.ops.sigmoid_focal_loss:
//   p = sigmoid(x), ce = BCEWithLogits(x, t), p_t = p t + (1 - p)(1 - t),
//   loss = alpha_t * ce * (1 - p_t)^gamma,  alpha_t = alpha t + (1 - alpha)(1 - t)  (alpha < 0: no weighting).
// ce is computed in the log-sigmoid form softplus(x) - x t, which stays finite for any logit
// (log(sigmoid(x)) would give -inf once sigmoid rounds to 0).
import * as tf from '@tensorflow/tfjs-core';
import { reduceLoss } from './reduce.ts';
import { TrainError, checkReduction, sameShape, type Reduction } from './trainError.ts';

export interface FocalLossOptions {
  /** Weight of the positive class in [0, 1]; -1 (any negative) disables the weighting. Paper: 0.25. */
  alpha?: number;
  /** Focusing parameter >= 0; 0 gives (alpha-balanced) binary cross-entropy. Paper: 2. */
  gamma?: number;
  reduction?: Reduction;
}

/** Binary cross-entropy with logits, elementwise: softplus(x) - x t = -t log p - (1 - t) log(1 - p). */
export function bceWithLogits(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  return tf.sub(tf.softplus(logits), tf.mul(logits, targets));
}

export function sigmoidFocalLoss(logits: tf.Tensor, targets: tf.Tensor, options: FocalLossOptions = {}): tf.Tensor {
  const { alpha = 0.25, gamma = 2, reduction = 'none' } = options;
  checkReduction('sigmoidFocalLoss', reduction);
  sameShape('sigmoidFocalLoss', logits, targets, ['logits', 'targets']);
  if (!(gamma >= 0)) throw new TrainError('RS_ERR_LOSS_INPUT', `sigmoidFocalLoss: gamma ${gamma} must be >= 0`);
  if (alpha > 1) throw new TrainError('RS_ERR_LOSS_INPUT', `sigmoidFocalLoss: alpha ${alpha} must be in [0, 1] (or negative to disable)`);
  return tf.tidy(() => {
    const t = tf.cast(targets, 'float32');
    let loss = bceWithLogits(logits, t);
    if (gamma !== 0) {
      // (1 - p_t) without cancellation: 1 - p_t = p + t - 2 p t.
      const p = tf.sigmoid(logits);
      const oneMinusPt = tf.add(p, tf.sub(t, tf.mul(tf.mul(p, t), 2)));
      const modulator = gamma === 1 ? oneMinusPt : gamma === 2 ? tf.square(oneMinusPt) : tf.pow(oneMinusPt, gamma);
      loss = tf.mul(loss, modulator);
    }
    if (alpha >= 0) loss = tf.mul(loss, tf.add(tf.mul(t, alpha), tf.mul(tf.sub(1, t), 1 - alpha)));
    return reduceLoss(loss, reduction);
  });
}
