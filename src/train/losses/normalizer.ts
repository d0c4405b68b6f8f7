// Loss normalizers: the number of foreground anchors, as torchvision (per image, max(1, n)) and
// detectron2 (batch total, smoothed by an exponential moving average) compute it.
import * as tf from '@tensorflow/tfjs-core';
import { TrainError } from './trainError.ts';

/** torchvision: each image's loss is divided by max(1, its foreground count). [N] -> [N]. */
export function perImageNormalizer(numFg: tf.Tensor1D | number[]): tf.Tensor1D {
  return tf.tidy(() => tf.maximum(tf.cast(Array.isArray(numFg) ? tf.tensor1d(numFg) : numFg, 'float32'), 1) as tf.Tensor1D);
}

export interface EmaNormalizerState {
  value: number;
  momentum: number;
}

/**
 * detectron2 RetinaNet: normalizer <- momentum * normalizer + (1 - momentum) * max(1, foreground anchors in
 * the batch), starting at 100; the batch's summed losses are divided by the updated value. Save `state()`
 * with a checkpoint so a resumed run continues the same average.
 */
export class EmaNormalizer {
  private current: number;
  readonly momentum: number;

  constructor(options: { momentum?: number; initial?: number } = {}) {
    const { momentum = 0.9, initial = 100 } = options;
    if (!(momentum >= 0 && momentum < 1)) throw new TrainError('RS_ERR_LOSS_INPUT', `EmaNormalizer: momentum ${momentum} must be in [0, 1)`);
    if (!(initial > 0)) throw new TrainError('RS_ERR_LOSS_INPUT', `EmaNormalizer: initial ${initial} must be > 0`);
    this.momentum = momentum;
    this.current = initial;
  }

  /** Folds in this batch's total foreground count and returns the normalizer to divide by. */
  update(batchNumFg: number): number {
    if (!(batchNumFg >= 0)) throw new TrainError('RS_ERR_LOSS_INPUT', `EmaNormalizer.update: foreground count ${batchNumFg} must be >= 0`);
    this.current = this.current * this.momentum + Math.max(batchNumFg, 1) * (1 - this.momentum);
    return this.current;
  }

  get value(): number {
    return this.current;
  }

  state(): EmaNormalizerState {
    return { value: this.current, momentum: this.momentum };
  }

  static fromState(state: EmaNormalizerState): EmaNormalizer {
    const n = new EmaNormalizer({ momentum: state.momentum, initial: state.value });
    return n;
  }
}
