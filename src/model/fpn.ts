// Feature pyramid: lateral 1x1 + nearest top-down path + 3x3 output convs on C3..C5, then P6
// (3x3/2 on C5 or P5) and P7 (3x3/2 on relu(P6)). torchvision naming (inner_blocks, layer_blocks).
import type { FpnConfig } from './config.ts';
import type { NetOps } from './netOps.ts';

/** [C3, C4, C5] -> [P3, P4, P5, P6, P7]. */
export function fpnForward<T>(o: NetOps<T>, c: T[], cfg: FpnConfig): T[] {
  return o.scope(() => {
    const inner = (i: number, x: T) => o.conv(x, `backbone.fpn.inner_blocks.${i}.0`, 1, false);
    const layer = (i: number, x: T) => o.conv(x, `backbone.fpn.layer_blocks.${i}.0`, 1, false);
    let last = inner(2, c[2]);
    const outs = [layer(2, last)];
    for (let i = 1; i >= 0; i--) {
      const lateral = inner(i, c[i]);
      last = o.add(lateral, o.upsampleTo(last, lateral));
      outs.unshift(layer(i, last));
    }
    const p6 = o.conv(cfg.p6From === 'P5' ? outs[2] : c[2], 'backbone.fpn.extra_blocks.p6', 2, false);
    const p7 = o.conv(o.relu(p6), 'backbone.fpn.extra_blocks.p7', 2, false);
    return [...outs, p6, p7];
  });
}
