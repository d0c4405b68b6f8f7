// Applies a loss reduction ('none' | 'sum' | 'mean') the way torch.nn.functional does.
import * as tf from '@tensorflow/tfjs-core';
import type { Reduction } from './trainError.ts';

export function reduceLoss(loss: tf.Tensor, reduction: Reduction): tf.Tensor {
  if (reduction === 'sum') return tf.sum(loss);
  if (reduction === 'mean') return tf.mean(loss);
  return loss;
}
