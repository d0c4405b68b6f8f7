// ResNet-18/34/50/101 body (torchvision naming), returning C3, C4, C5 for the FPN.
// Batch norm is already folded into the convolutions (params.ts).
import type { BackboneConfig } from './config.ts';
import type { NetOps } from './netOps.ts';

export const RESNET_BLOCKS: Record<number, number[]> = { 18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3] };
export const isBottleneck = (depth: number) => depth >= 50;

function basicBlock<T>(o: NetOps<T>, x: T, name: string, stride: number): T {
  return o.scope(() => {
    const id = o.has(`${name}.downsample.0.weight`) ? o.conv(x, `${name}.downsample.0`, stride, false) : x;
    return o.convAddRelu(o.conv(x, `${name}.conv1`, stride, true), `${name}.conv2`, 1, id);
  });
}

function bottleneck<T>(o: NetOps<T>, x: T, name: string, stride: number, strideIn: '1x1' | '3x3'): T {
  return o.scope(() => {
    const [s1, s3] = strideIn === '1x1' ? [stride, 1] : [1, stride];
    let y = o.conv(x, `${name}.conv1`, s1, true);
    y = o.conv(y, `${name}.conv2`, s3, true);
    const id = o.has(`${name}.downsample.0.weight`) ? o.conv(x, `${name}.downsample.0`, stride, false) : x;
    return o.convAddRelu(y, `${name}.conv3`, 1, id);
  });
}

/** Returns [C3, C4, C5] (strides 8, 16, 32). */
export function resnetForward<T>(o: NetOps<T>, x: T, cfg: BackboneConfig): T[] {
  const blocks = RESNET_BLOCKS[cfg.depth];
  const outs: T[] = [];
  let h = o.scope(() => o.maxPool3x3s2(o.conv(x, 'backbone.body.conv1', 2, true)));
  for (let layer = 0; layer < 4; layer++) {
    for (let i = 0; i < blocks[layer]; i++) {
      const name = `backbone.body.layer${layer + 1}.${i}`;
      const stride = i === 0 && layer > 0 ? 2 : 1;
      const next = isBottleneck(cfg.depth) ? bottleneck(o, h, name, stride, cfg.strideIn) : basicBlock(o, h, name, stride);
      if (!outs.includes(h)) o.release(h);
      h = next;
    }
    if (layer >= 1) outs.push(h);
  }
  return outs;
}
