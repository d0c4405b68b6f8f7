// Class and box subnets, shared across levels (not with each other): numConvs x (3x3 conv [+ GroupNorm] + ReLU),
// then a 3x3 conv with A*K (class logits) or A*4 (box deltas) outputs. Channel index = a*K + k.
import * as tf from '@tensorflow/tfjs-core';
import type { HeadConfig } from './config.ts';
import type { NetOps } from './netOps.ts';

export const CLASS_SUBNET = { prefix: 'head.classification_head', out: 'cls_logits' };
export const BOX_SUBNET = { prefix: 'head.regression_head', out: 'bbox_reg' };

/** One subnet on one level: NHWC output with A*K (or A*4) channels. */
export function subnetForward<T>(o: NetOps<T>, x: T, subnet: { prefix: string; out: string }, cfg: HeadConfig): T {
  return o.scope(() => {
    let h = x;
    for (let i = 0; i < cfg.numConvs; i++) {
      const c = `${subnet.prefix}.conv.${i}.0`;
      h = cfg.groupNorm ? o.relu(o.groupNorm(o.conv(h, c, 1, false), `${subnet.prefix}.conv.${i}.1`, 32)) : o.conv(h, c, 1, true);
    }
    return o.conv(h, `${subnet.prefix}.${subnet.out}`, 1, false);
  });
}

/** [N, H, W, A*per] -> [N, H*W*A, per] (anchor rows in the anchors' order). */
export function toAnchorRows(y: tf.Tensor4D, perAnchor: number): tf.Tensor3D {
  const [n, fh, fw, ch] = y.shape;
  return tf.reshape(y, [n, (fh * fw * ch) / perAnchor, perAnchor]);
}

/** Per level: class logits [N, H*W*A, K] and box deltas [N, H*W*A, 4]. */
export function headForward(o: NetOps<tf.Tensor4D>, features: tf.Tensor4D[], cfg: HeadConfig, numClasses: number): { cls: tf.Tensor3D[]; box: tf.Tensor3D[] } {
  const rows = (f: tf.Tensor4D, subnet: typeof CLASS_SUBNET, per: number) => tf.tidy(() => toAnchorRows(subnetForward(o, f, subnet, cfg), per));
  return {
    cls: features.map((f) => rows(f, CLASS_SUBNET, numClasses)),
    box: features.map((f) => rows(f, BOX_SUBNET, 4)),
  };
}
