// The operations the network is written in (resnet.ts, fpn.ts, head.ts), over an abstract tensor type, so that
// one description of the architecture runs eagerly on any tfjs backend (eagerOps, below) and is also turned
// into one TensorFlow graph for the native backend (graph/graphOps.ts).
import * as tf from '@tensorflow/tfjs-core';
import { conv, groupNorm, maxPool3x3s2, upsampleNearest } from './layers.ts';
import type { Params } from './params.ts';

export interface NetOps<T> {
  /** Convolution named by its parameters (`${param}.weight/bias`, BN folded in), PyTorch padding, optional ReLU. */
  conv(x: T, param: string, stride: number, relu: boolean): T;
  /** relu(conv(x) + residual): a residual block's last convolution. */
  convAddRelu(x: T, param: string, stride: number, residual: T): T;
  add(a: T, b: T): T;
  relu(x: T): T;
  /** 3x3/2 max pool with padding 1 (on post-ReLU inputs). */
  maxPool3x3s2(x: T): T;
  /** Nearest-neighbour resize of x to the height and width of `like`, indexed as PyTorch's F.interpolate. */
  upsampleTo(x: T, like: T): T;
  /** GroupNorm (eps 1e-5) with the affine parameters `${param}.weight/bias`. */
  groupNorm(x: T, param: string, groups: number): T;
  /** Whether the model has parameter `name`. */
  has(name: string): boolean;
  /** Eager: frees the intermediates `f` makes (tf.tidy). */
  scope<R>(f: () => R): R;
  /** Eager: frees `t` (a block's input no longer needed). */
  release(t: T): void;
}

/** Eager execution on the active tfjs backend. */
export function eagerOps(p: Params): NetOps<tf.Tensor4D> {
  return {
    conv: (x, param, stride, relu) => conv(x, p.conv(param), stride, relu),
    convAddRelu: (x, param, stride, residual) => tf.relu(tf.add(conv(x, p.conv(param), stride, false), residual)) as tf.Tensor4D,
    add: (a, b) => tf.add(a, b),
    relu: (x) => tf.relu(x),
    maxPool3x3s2,
    upsampleTo: (x, like) => upsampleNearest(x, [like.shape[1], like.shape[2]]),
    groupNorm: (x, param, groups) => groupNorm(x, p.norm(param), groups),
    has: (name) => p.has(name),
    scope: <R>(f: () => R) => tf.tidy(f as () => tf.TensorContainer) as R,
    release: (t) => t.dispose(),
  };
}
