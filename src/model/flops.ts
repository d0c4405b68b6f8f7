// Multiply-accumulates of one forward pass, counted by running the architecture code (resnet.ts, fpn.ts,
// head.ts) over shapes instead of tensors: convolutions only (everything else is < 1% of the work).
import type { ModelConfig } from './config.ts';
import { fpnForward } from './fpn.ts';
import { BOX_SUBNET, CLASS_SUBNET, subnetForward } from './head.ts';
import type { NetOps } from './netOps.ts';
import { resnetForward } from './resnet.ts';
import { parameterShapes } from './shapes.ts';

interface Shape {
  h: number;
  w: number;
  c: number;
}

/** MACs of the forward pass on one image of height x width (already padded), from the config's parameter shapes. */
export function forwardMacs(config: ModelConfig, height: number, width: number): number {
  const shapes = parameterShapes(config); // canonical (PyTorch) layout: conv weights OIHW
  let macs = 0;
  const conv = (x: Shape, param: string, stride: number): Shape => {
    const [cout, cin, k] = shapes.get(`${param}.weight`)!;
    const pad = (k - 1) >> 1;
    const out = { h: Math.floor((x.h + 2 * pad - k) / stride) + 1, w: Math.floor((x.w + 2 * pad - k) / stride) + 1, c: cout };
    macs += out.h * out.w * cout * cin * k * k;
    return out;
  };
  const o: NetOps<Shape> = {
    conv: (x, param, stride) => conv(x, param, stride),
    convAddRelu: (x, param, stride) => conv(x, param, stride),
    add: (a) => a,
    relu: (x) => x,
    maxPool3x3s2: (x) => ({ h: Math.floor((x.h - 1) / 2) + 1, w: Math.floor((x.w - 1) / 2) + 1, c: x.c }),
    upsampleTo: (x, like) => ({ h: like.h, w: like.w, c: x.c }),
    groupNorm: (x) => x,
    has: (name) => shapes.has(name),
    scope: (f) => f(),
    release: () => undefined,
  };
  const p = fpnForward(o, resnetForward(o, { h: height, w: width, c: 3 }, config.backbone), config.fpn);
  for (const f of p) {
    subnetForward(o, f, CLASS_SUBNET, config.head);
    subnetForward(o, f, BOX_SUBNET, config.head);
  }
  return macs;
}
