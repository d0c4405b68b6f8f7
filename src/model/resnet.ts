// ResNet-18/34/50/101 body (torchvision naming), returning C3, C4, C5 for the FPN.
// Batch norm is already folded into the convolutions (params.ts).
import * as tf from '@tensorflow/tfjs-core';
import type { BackboneConfig } from './config.ts';
import { conv, maxPool3x3s2 } from './layers.ts';
import type { Params } from './params.ts';

export const RESNET_BLOCKS: Record<number, number[]> = { 18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3] };
export const isBottleneck = (depth: number) => depth >= 50;

function basicBlock(x: tf.Tensor4D, p: Params, name: string, stride: number): tf.Tensor4D {
  return tf.tidy(() => {
    const y = conv(conv(x, p.conv(`${name}.conv1`), stride, true), p.conv(`${name}.conv2`), 1, false);
    const id = p.has(`${name}.downsample.0.weight`) ? conv(x, p.conv(`${name}.downsample.0`), stride, false) : x;
    return tf.relu(tf.add(y, id)) as tf.Tensor4D;
  });
}

function bottleneck(x: tf.Tensor4D, p: Params, name: string, stride: number, strideIn: '1x1' | '3x3'): tf.Tensor4D {
  return tf.tidy(() => {
    const [s1, s3] = strideIn === '1x1' ? [stride, 1] : [1, stride];
    let y = conv(x, p.conv(`${name}.conv1`), s1, true);
    y = conv(y, p.conv(`${name}.conv2`), s3, true);
    y = conv(y, p.conv(`${name}.conv3`), 1, false);
    const id = p.has(`${name}.downsample.0.weight`) ? conv(x, p.conv(`${name}.downsample.0`), stride, false) : x;
    return tf.relu(tf.add(y, id)) as tf.Tensor4D;
  });
}

/** Returns [C3, C4, C5] (strides 8, 16, 32). */
export function resnetForward(x: tf.Tensor4D, p: Params, cfg: BackboneConfig): tf.Tensor4D[] {
  const blocks = RESNET_BLOCKS[cfg.depth];
  const outs: tf.Tensor4D[] = [];
  let h = tf.tidy(() => maxPool3x3s2(conv(x, p.conv('backbone.body.conv1'), 2, true)));
  for (let layer = 0; layer < 4; layer++) {
    for (let i = 0; i < blocks[layer]; i++) {
      const name = `backbone.body.layer${layer + 1}.${i}`;
      const stride = i === 0 && layer > 0 ? 2 : 1;
      const next = isBottleneck(cfg.depth) ? bottleneck(h, p, name, stride, cfg.strideIn) : basicBlock(h, p, name, stride);
      if (!outs.includes(h)) h.dispose();
      h = next;
    }
    if (layer >= 1) outs.push(h);
  }
  return outs;
}
