// The few layer functions the network is made of, on NHWC tensors.
import * as tf from '@tensorflow/tfjs-core';
import type { ConvParams, NormParams } from './params.ts';

/**
 * PyTorch's symmetric zero padding of `p` pixels, written as explicit NHWC padding: every backend takes that
 * form (the TensorFlow backend refuses a number, and its 'same' pads bottom/right only when the stride is 2).
 */
export function symmetricPad(p: number): [[number, number], [number, number], [number, number], [number, number]] {
  return [
    [0, 0],
    [p, p],
    [p, p],
    [0, 0],
  ];
}

/** Convolution with PyTorch's symmetric zero padding, bias and optional ReLU fused into one kernel. */
export function conv(x: tf.Tensor4D, p: ConvParams, stride: number, relu: boolean): tf.Tensor4D {
  const k = p.w.shape[0];
  return tf.fused.conv2d({
    x,
    filter: p.w,
    strides: stride,
    pad: symmetricPad((k - 1) >> 1),
    bias: p.b,
    activation: relu ? 'relu' : 'linear',
  });
}

/**
 * 3x3/2 max pool with padding 1. PyTorch pads with -inf; the inputs here are post-ReLU (>= 0), so zero padding
 * gives the same result. The padding is a separate op because the TensorFlow backend's MaxPool takes only
 * 'valid'/'same', and 'same' would pad bottom/right only.
 */
export function maxPool3x3s2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.maxPool(tf.pad(x, symmetricPad(1)), 3, 2, 'valid'));
}

/** GroupNorm over NHWC (torchvision v2 heads): groups of channels, eps 1e-5, affine. */
export function groupNorm(x: tf.Tensor4D, p: NormParams, groups: number, eps = 1e-5): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const g = tf.reshape(x, [n, h, w, groups, c / groups]);
    const { mean, variance } = tf.moments(g, [1, 2, 4], true);
    const normed = tf.reshape(tf.div(tf.sub(g, mean), tf.sqrt(tf.add(variance, eps))), [n, h, w, c]);
    return tf.add(tf.mul(normed, p.gamma), p.beta) as tf.Tensor4D;
  });
}

/**
 * Nearest-neighbour resize to `size`, indexing exactly like PyTorch's F.interpolate(mode='nearest'):
 * src = floor(dst * (in / out)) in float32 (2x is the special case dst >> 1).
 */
export function upsampleNearest(x: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (size[0] === 2 * h && size[1] === 2 * w) {
    return tf.image.resizeNearestNeighbor(x, size, false, false);
  }
  const idx = (inSize: number, outSize: number) => {
    const scale = Math.fround(inSize / outSize);
    return tf.tensor1d(Array.from({ length: outSize }, (_, d) => Math.min(Math.floor(Math.fround(d * scale)), inSize - 1)), 'int32');
  };
  return tf.tidy(() => tf.gather(tf.gather(x, idx(h, size[0]), 1), idx(w, size[1]), 2));
}
