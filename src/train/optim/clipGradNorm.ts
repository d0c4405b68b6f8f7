// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_: if the L2 norm over all gradients
// exceeds maxNorm, every gradient is scaled by maxNorm / (norm + 1e-6).
import * as tf from '@tensorflow/tfjs-core';
import { TrainError } from '../losses/trainError.ts';

export function globalNorm(grads: tf.Tensor[]): number {
  if (grads.length === 0) return 0;
  return tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
}

/** Returns the clipped gradients (new tensors; the inputs are left alone) and the norm before clipping. */
export function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number): { grads: Record<string, tf.Tensor>; norm: number } {
  if (!(maxNorm > 0)) throw new TrainError('RS_ERR_OPTIM_CONFIG', `clipByGlobalNorm: maxNorm ${maxNorm} must be > 0`);
  const norm = globalNorm(Object.values(grads));
  const coef = maxNorm / (norm + 1e-6);
  const out: Record<string, tf.Tensor> = {};
  for (const [name, g] of Object.entries(grads)) out[name] = coef < 1 ? tf.mul(g, coef) : g.clone();
  return { grads: out, norm };
}
