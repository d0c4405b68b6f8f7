// The tensors a torchvision-layout RetinaNet (ResNet-FPN backbone, P3-P7, class and box subnets)
// must have: inferred from a checkpoint's canonical names, then checked key by key and shape by shape.

import type { Depth } from '../model/config.ts';
import { ConvertError, listNames } from './errors.ts';

export interface RetinaNetArch {
  depth: Depth;
  /** GroupNorm after each head conv (torchvision v2): conv.i.0 has no bias, conv.i.1 is the norm. */
  groupNorm: boolean;
  p6From: 'C5' | 'P5';
  numClasses: number;
  anchorsPerLocation: number;
  fpnChannels: number;
  numConvs: number;
}

/** Blocks per ResNet stage (layer1..layer4) and whether they are bottlenecks. */
const RESNETS: { depth: Depth; bottleneck: boolean; blocks: number[] }[] = [
  { depth: 18, bottleneck: false, blocks: [2, 2, 2, 2] },
  { depth: 34, bottleneck: false, blocks: [3, 4, 6, 3] },
  { depth: 50, bottleneck: true, blocks: [3, 4, 6, 3] },
  { depth: 101, bottleneck: true, blocks: [3, 4, 23, 3] },
];

const BN = ['weight', 'bias', 'running_mean', 'running_var'];

/** Channels out of layer1..layer4 (C2..C5). */
function stageChannels(bottleneck: boolean): number[] {
  return [64, 128, 256, 512].map((p) => (bottleneck ? 4 * p : p));
}

/** Expected canonical name -> shape for an architecture. */
export function expectedShapes(arch: RetinaNetArch): Map<string, number[]> {
  const spec = RESNETS.find((r) => r.depth === arch.depth)!;
  const m = new Map<string, number[]>();
  const conv = (name: string, shape: number[], bias = false): void => {
    m.set(`${name}.weight`, shape);
    if (bias) m.set(`${name}.bias`, [shape[0]]);
  };
  const bn = (name: string, c: number): void => BN.forEach((p) => m.set(`${name}.${p}`, [c]));
  conv('backbone.body.conv1', [64, 3, 7, 7]);
  bn('backbone.body.bn1', 64);
  let inplanes = 64;
  spec.blocks.forEach((n, l) => {
    const p = 64 * 2 ** l;
    const out = spec.bottleneck ? 4 * p : p;
    for (let i = 0; i < n; i++) {
      const b = `backbone.body.layer${l + 1}.${i}`;
      if (spec.bottleneck) {
        conv(`${b}.conv1`, [p, inplanes, 1, 1]);
        bn(`${b}.bn1`, p);
        conv(`${b}.conv2`, [p, p, 3, 3]);
        bn(`${b}.bn2`, p);
        conv(`${b}.conv3`, [out, p, 1, 1]);
        bn(`${b}.bn3`, out);
      } else {
        conv(`${b}.conv1`, [p, inplanes, 3, 3]);
        bn(`${b}.bn1`, p);
        conv(`${b}.conv2`, [p, p, 3, 3]);
        bn(`${b}.bn2`, p);
      }
      if (i === 0 && inplanes !== out) {
        conv(`${b}.downsample.0`, [out, inplanes, 1, 1]);
        bn(`${b}.downsample.1`, out);
      }
      inplanes = out;
    }
  });
  const F = arch.fpnChannels;
  const c = stageChannels(spec.bottleneck);
  [c[1], c[2], c[3]].forEach((cin, k) => {
    conv(`backbone.fpn.inner_blocks.${k}.0`, [F, cin, 1, 1], true);
    conv(`backbone.fpn.layer_blocks.${k}.0`, [F, F, 3, 3], true);
  });
  conv('backbone.fpn.extra_blocks.p6', [F, arch.p6From === 'C5' ? c[3] : F, 3, 3], true);
  conv('backbone.fpn.extra_blocks.p7', [F, F, 3, 3], true);
  const A = arch.anchorsPerLocation;
  for (const [head, last, outs] of [
    ['classification_head', 'cls_logits', A * arch.numClasses],
    ['regression_head', 'bbox_reg', A * 4],
  ] as const) {
    for (let i = 0; i < arch.numConvs; i++) {
      conv(`head.${head}.conv.${i}.0`, [F, F, 3, 3], !arch.groupNorm);
      if (arch.groupNorm) {
        m.set(`head.${head}.conv.${i}.1.weight`, [F]);
        m.set(`head.${head}.conv.${i}.1.bias`, [F]);
      }
    }
    conv(`head.${head}.${last}`, [outs, F, 3, 3], true);
  }
  return m;
}

/** Distinct indices i among keys `${prefix}${i}.…`. */
function countIndices(names: Iterable<string>, prefix: string): number {
  const seen = new Set<number>();
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const m = /^(\d+)\./.exec(n.slice(prefix.length));
    if (m) seen.add(Number(m[1]));
  }
  return seen.size;
}

/** Reads the architecture off canonical names and shapes; `where` names the file in errors. */
export function inferArch(shapes: Map<string, readonly number[]>, where: string, anchorsPerLocation = 9): RetinaNetArch {
  const arch = (msg: string): never => {
    throw new ConvertError('RS_ERR_CHECKPOINT_ARCH', `${where}: ${msg}`);
  };
  const names = [...shapes.keys()];
  const blocks = [1, 2, 3, 4].map((l) => countIndices(names, `backbone.body.layer${l}.`));
  const bottleneck = names.some((n) => /^backbone\.body\.layer\d+\.\d+\.conv3\./.test(n));
  const resnet = RESNETS.find((r) => r.bottleneck === bottleneck && r.blocks.every((b, i) => b === blocks[i]));
  if (!resnet) {
    arch(
      `ResNet ${bottleneck ? 'bottleneck' : 'basic-block'} stages have [${blocks}] blocks, which is no supported depth ` +
        `(expected 18 = [2,2,2,2], 34 = [3,4,6,3] basic; 50 = [3,4,6,3], 101 = [3,4,23,3] bottleneck)`,
    );
  }
  const shape = (k: string): readonly number[] => shapes.get(k) ?? arch(`has no ${k}, which every RetinaNet has`);
  const fpnChannels = shape('backbone.fpn.layer_blocks.0.0.weight')[0];
  const p6In = shape('backbone.fpn.extra_blocks.p6.weight')[1];
  const clsOut = shape('head.classification_head.cls_logits.weight')[0];
  if (clsOut % anchorsPerLocation !== 0) {
    arch(`head.classification_head.cls_logits has ${clsOut} outputs, not a multiple of ${anchorsPerLocation} anchors per location`);
  }
  return {
    depth: resnet!.depth,
    groupNorm: shapes.has('head.classification_head.conv.0.1.weight'),
    p6From: p6In === fpnChannels ? 'P5' : 'C5',
    numClasses: clsOut / anchorsPerLocation,
    anchorsPerLocation,
    fpnChannels,
    numConvs: countIndices(names, 'head.classification_head.conv.'),
  };
}

/** Throws one RS_ERR_CHECKPOINT_KEYS error naming every missing, unexpected and mis-shaped tensor. */
export function checkShapes(shapes: Map<string, readonly number[]>, expected: Map<string, number[]>, where: string): void {
  const missing = [...expected.keys()].filter((k) => !shapes.has(k));
  const unexpected = [...shapes.keys()].filter((k) => !expected.has(k));
  const misshaped = [...expected]
    .filter(([k, want]) => shapes.has(k) && shapes.get(k)!.join(',') !== want.join(','))
    .map(([k, want]) => `${k} [${shapes.get(k)!.join(',')}] expected [${want.join(',')}]`);
  const parts: string[] = [];
  if (missing.length) parts.push(`${missing.length} missing: ${listNames(missing)}`);
  if (unexpected.length) parts.push(`${unexpected.length} unexpected: ${listNames(unexpected)}`);
  if (misshaped.length) parts.push(`${misshaped.length} mis-shaped: ${listNames(misshaped)}`);
  if (parts.length) throw new ConvertError('RS_ERR_CHECKPOINT_KEYS', `${where}: tensors do not match the inferred RetinaNet; ${parts.join('; ')}`);
}

export function describeArch(a: RetinaNetArch): string {
  return `ResNet-${a.depth} FPN (${a.fpnChannels} channels, P6 from ${a.p6From}), ${a.numConvs}-conv heads${a.groupNorm ? ' with GroupNorm' : ''}, ${a.numClasses} classes x ${a.anchorsPerLocation} anchors`;
}
