// Class and box subnets, shared across levels (not with each other): numConvs x (3x3 conv [+ GroupNorm] + ReLU),
// then a 3x3 conv with A*K (class logits) or A*4 (box deltas) outputs. Channel index = a*K + k.
import * as tf from '@tensorflow/tfjs-core';
import type { HeadConfig } from './config.ts';
import { conv, groupNorm } from './layers.ts';
import type { Params } from './params.ts';

function subnet(x: tf.Tensor4D, p: Params, prefix: string, out: string, cfg: HeadConfig, perAnchor: number): tf.Tensor3D {
  return tf.tidy(() => {
    let h = x;
    for (let i = 0; i < cfg.numConvs; i++) {
      const c = p.conv(`${prefix}.conv.${i}.0`);
      h = cfg.groupNorm ? tf.relu(groupNorm(conv(h, c, 1, false), p.norm(`${prefix}.conv.${i}.1`), 32)) : conv(h, c, 1, true);
    }
    const y = conv(h, p.conv(`${prefix}.${out}`), 1, false);
    const [n, fh, fw, ch] = y.shape;
    return tf.reshape(y, [n, (fh * fw * ch) / perAnchor, perAnchor]);
  });
}

/** Per level: class logits [N, H*W*A, K] and box deltas [N, H*W*A, 4]. */
export function headForward(features: tf.Tensor4D[], p: Params, cfg: HeadConfig, numClasses: number): { cls: tf.Tensor3D[]; box: tf.Tensor3D[] } {
  return {
    cls: features.map((f) => subnet(f, p, 'head.classification_head', 'cls_logits', cfg, numClasses)),
    box: features.map((f) => subnet(f, p, 'head.regression_head', 'bbox_reg', cfg, 4)),
  };
}
