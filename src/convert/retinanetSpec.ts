// The tensors a torchvision-layout RetinaNet (ResNet-FPN backbone, P3-P7, class and box subnets)
// must have: inferred from a checkpoint's canonical names, then checked key by key and shape by shape.

import type { Depth } from '../model/config.ts';
import { isBottleneck, RESNET_BLOCKS } from '../model/resnet.ts';
import { retinanetShapes } from '../model/shapes.ts';
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

/** Blocks per ResNet stage (layer1..layer4) and whether they are bottlenecks, for each supported depth. */
const RESNETS = ([18, 34, 50, 101] as const).map((depth) => ({ depth, bottleneck: isBottleneck(depth), blocks: RESNET_BLOCKS[depth] }));

/** Expected canonical name -> shape for an architecture (checkpoints are full-width ResNets). */
export function expectedShapes(arch: RetinaNetArch): Map<string, number[]> {
  return retinanetShapes({ ...arch, width: 64 });
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
