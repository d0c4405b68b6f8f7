// The parameters of a RetinaNet by canonical (torchvision state_dict) name, with their PyTorch-layout
// shapes: what a fresh init creates (init.ts) and what a converted checkpoint must contain (convert/).
import { anchorsPerLocation, type Depth, type ModelConfig } from './config.ts';
import { isBottleneck, RESNET_BLOCKS } from './resnet.ts';

/** What decides the shapes. `width` is 64 in every published ResNet (stage i has width x 2^i channels). */
export interface RetinaNetShapeSpec {
  depth: Depth;
  width: number;
  fpnChannels: number;
  p6From: 'C5' | 'P5';
  /** 3x3 convs per subnet; with GroupNorm they have no bias and conv.i.1 is the norm. */
  numConvs: number;
  groupNorm: boolean;
  numClasses: number;
  anchorsPerLocation: number;
}

const BN = ['weight', 'bias', 'running_mean', 'running_var'];

export function retinanetShapes(s: RetinaNetShapeSpec): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const conv = (name: string, o: number, i: number, k: number, bias: boolean) => {
    shapes.set(`${name}.weight`, [o, i, k, k]);
    if (bias) shapes.set(`${name}.bias`, [o]);
  };
  const bn = (name: string, c: number) => BN.forEach((k) => shapes.set(`${name}.${k}`, [c]));
  const bottleneck = isBottleneck(s.depth);
  conv('backbone.body.conv1', s.width, 3, 7, false);
  bn('backbone.body.bn1', s.width);
  let inC = s.width;
  const outCs: number[] = [];
  RESNET_BLOCKS[s.depth].forEach((n, layer) => {
    const width = s.width * 2 ** layer;
    const outC = bottleneck ? width * 4 : width;
    for (let i = 0; i < n; i++) {
      const name = `backbone.body.layer${layer + 1}.${i}`;
      if (bottleneck) {
        conv(`${name}.conv1`, width, inC, 1, false);
        bn(`${name}.bn1`, width);
        conv(`${name}.conv2`, width, width, 3, false);
        bn(`${name}.bn2`, width);
        conv(`${name}.conv3`, outC, width, 1, false);
        bn(`${name}.bn3`, outC);
      } else {
        conv(`${name}.conv1`, width, inC, 3, false);
        bn(`${name}.bn1`, width);
        conv(`${name}.conv2`, width, width, 3, false);
        bn(`${name}.bn2`, width);
      }
      if (i === 0 && (inC !== outC || layer > 0)) {
        conv(`${name}.downsample.0`, outC, inC, 1, false);
        bn(`${name}.downsample.1`, outC);
      }
      inC = outC;
    }
    outCs.push(outC);
  });
  const C = s.fpnChannels;
  outCs.slice(1).forEach((c, i) => {
    conv(`backbone.fpn.inner_blocks.${i}.0`, C, c, 1, true);
    conv(`backbone.fpn.layer_blocks.${i}.0`, C, C, 3, true);
  });
  conv('backbone.fpn.extra_blocks.p6', C, s.p6From === 'P5' ? C : outCs[3], 3, true);
  conv('backbone.fpn.extra_blocks.p7', C, C, 3, true);
  const A = s.anchorsPerLocation;
  for (const [head, out, k] of [
    ['head.classification_head', 'cls_logits', s.numClasses],
    ['head.regression_head', 'bbox_reg', 4],
  ] as const) {
    for (let i = 0; i < s.numConvs; i++) {
      conv(`${head}.conv.${i}.0`, C, C, 3, !s.groupNorm);
      if (s.groupNorm) {
        shapes.set(`${head}.conv.${i}.1.weight`, [C]);
        shapes.set(`${head}.conv.${i}.1.bias`, [C]);
      }
    }
    conv(`${head}.${out}`, A * k, C, 3, true);
  }
  return shapes;
}

/** The parameter shapes of the RetinaNet a model config describes. */
export function parameterShapes(cfg: ModelConfig): Map<string, number[]> {
  return retinanetShapes({
    depth: cfg.backbone.depth,
    width: cfg.backbone.width,
    fpnChannels: cfg.fpn.channels,
    p6From: cfg.fpn.p6From,
    numConvs: cfg.head.numConvs,
    groupNorm: cfg.head.groupNorm,
    numClasses: cfg.numClasses,
    anchorsPerLocation: anchorsPerLocation(cfg.anchors),
  });
}
