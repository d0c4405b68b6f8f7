// Fresh weights for training from scratch, as canonical (torchvision-named) tensors:
// backbone convs Kaiming-normal (fan_out, ReLU) with identity batch norm; FPN and head convs
// N(0, 0.01) with zero bias (paper); the class logits bias set to -log((1 - pi) / pi).
import { anchorsPerLocation, type ModelConfig } from './config.ts';
import { isBottleneck, RESNET_BLOCKS } from './resnet.ts';
import type { NamedTensor, TensorMap } from './weights/safetensors.ts';

/** Small seeded PRNG (mulberry32) with Box-Muller normals. */
export function seededRandom(seed: number): { uniform(): number; normal(): number } {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

/** Parameter shapes of a RetinaNet in canonical naming (PyTorch layout). */
export function parameterShapes(cfg: ModelConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const conv = (name: string, o: number, i: number, k: number, bias: boolean) => {
    shapes.set(`${name}.weight`, [o, i, k, k]);
    if (bias) shapes.set(`${name}.bias`, [o]);
  };
  const bn = (name: string, c: number) => {
    for (const k of ['weight', 'bias', 'running_mean', 'running_var']) shapes.set(`${name}.${k}`, [c]);
  };
  const depth = cfg.backbone.depth;
  const bottleneck = isBottleneck(depth);
  const base = cfg.backbone.width;
  conv('backbone.body.conv1', base, 3, 7, false);
  bn('backbone.body.bn1', base);
  let inC = base;
  const outCs: number[] = [];
  RESNET_BLOCKS[depth].forEach((n, layer) => {
    const width = base * 2 ** layer;
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
  const C = cfg.fpn.channels;
  outCs.slice(1).forEach((c, i) => {
    conv(`backbone.fpn.inner_blocks.${i}.0`, C, c, 1, true);
    conv(`backbone.fpn.layer_blocks.${i}.0`, C, C, 3, true);
  });
  conv('backbone.fpn.extra_blocks.p6', C, cfg.fpn.p6From === 'P5' ? C : outCs[3], 3, true);
  conv('backbone.fpn.extra_blocks.p7', C, C, 3, true);
  const A = anchorsPerLocation(cfg.anchors);
  for (const [head, out, k] of [
    ['head.classification_head', 'cls_logits', cfg.numClasses],
    ['head.regression_head', 'bbox_reg', 4],
  ] as const) {
    for (let i = 0; i < cfg.head.numConvs; i++) {
      conv(`${head}.conv.${i}.0`, C, C, 3, !cfg.head.groupNorm);
      if (cfg.head.groupNorm) {
        shapes.set(`${head}.conv.${i}.1.weight`, [C]);
        shapes.set(`${head}.conv.${i}.1.bias`, [C]);
      }
    }
    conv(`${head}.${out}`, A * k, C, 3, true);
  }
  return shapes;
}

export function initWeights(cfg: ModelConfig, seed = 0): TensorMap {
  const rng = seededRandom(seed);
  const out: TensorMap = new Map();
  for (const [name, shape] of parameterShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (name.endsWith('.weight') && shape.length === 4) {
      const std = name.startsWith('backbone.body') ? Math.sqrt(2 / (shape[0] * shape[2] * shape[3])) : 0.01;
      for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
    } else if (name.endsWith('running_var') || (name.endsWith('.weight') && shape.length === 1)) {
      data.fill(1);
    } else if (name === 'head.classification_head.cls_logits.bias') {
      data.fill(-Math.log((1 - cfg.head.priorProb) / cfg.head.priorProb));
    }
    out.set(name, { shape, data } satisfies NamedTensor);
  }
  return out;
}
