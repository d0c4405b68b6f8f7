// Feature pyramid: lateral 1x1 + nearest top-down path + 3x3 output convs on C3..C5, then P6
// (3x3/2 on C5 or P5) and P7 (3x3/2 on relu(P6)). torchvision naming (inner_blocks, layer_blocks).
import * as tf from '@tensorflow/tfjs-core';
import type { FpnConfig } from './config.ts';
import { conv, upsampleNearest } from './layers.ts';
import type { Params } from './params.ts';

/** [C3, C4, C5] -> [P3, P4, P5, P6, P7]. */
export function fpnForward(c: tf.Tensor4D[], p: Params, cfg: FpnConfig): tf.Tensor4D[] {
  return tf.tidy(() => {
    const inner = (i: number, x: tf.Tensor4D) => conv(x, p.conv(`backbone.fpn.inner_blocks.${i}.0`), 1, false);
    const layer = (i: number, x: tf.Tensor4D) => conv(x, p.conv(`backbone.fpn.layer_blocks.${i}.0`), 1, false);
    let last = inner(2, c[2]);
    const outs = [layer(2, last)];
    for (let i = 1; i >= 0; i--) {
      const lateral = inner(i, c[i]);
      last = tf.add(lateral, upsampleNearest(last, [lateral.shape[1], lateral.shape[2]]));
      outs.unshift(layer(i, last));
    }
    const p6 = conv(cfg.p6From === 'P5' ? outs[2] : c[2], p.conv('backbone.fpn.extra_blocks.p6'), 2, false);
    const p7 = conv(tf.relu(p6), p.conv('backbone.fpn.extra_blocks.p7'), 2, false);
    return [...outs, p6, p7];
  });
}
