// The model configuration: everything that defines a RetinaNet besides its weights.
// A model directory holds this as `model.json` next to `weights.safetensors`.
// Defaults follow the paper / torchvision; converters set what their source differs in.

export type Depth = 18 | 34 | 50 | 101;
export type AnchorConvention = 'torchvision' | 'detectron2';

export interface BackboneConfig {
  /** ResNet depth. 18/34 use basic blocks, 50/101 bottlenecks. */
  depth: Depth;
  /** Where the stride-2 of a bottleneck sits: torchvision '3x3', detectron2 MSRA weights '1x1'. */
  strideIn: '1x1' | '3x3';
  /** Epsilon of the frozen batch norms folded into the convolutions (TV v1 COCO: 0; D2, TV v2: 1e-5). */
  bnEps: number;
  /** Channels of the stem and of the first stage; stage i has width * 2^i (x4 for bottleneck outputs).
   *  64 in every published ResNet; smaller for the thin demo model. Optional in model.json (default 64). */
  width: number;
}

export interface FpnConfig {
  channels: number;
  /** P6 = 3x3/2 conv on C5 (paper, D2, TV v2) or on P5 (TV v1). */
  p6From: 'C5' | 'P5';
}

export interface HeadConfig {
  /** Number of 3x3 conv + ReLU layers in each subnet (paper: 4). */
  numConvs: number;
  /** GroupNorm(32) after each subnet conv (TV v2). */
  groupNorm: boolean;
  /** Prior probability for the class bias init: b = -log((1 - pi) / pi). */
  priorProb: number;
}

export interface AnchorConfig {
  convention: AnchorConvention;
  /** Base sizes per level P3..P7 (side of the square anchor): 32..512. */
  sizes: number[];
  /** Octave scales multiplying each base size: 2^0, 2^(1/3), 2^(2/3). */
  scales: number[];
  /** Aspect ratios h/w: 0.5, 1, 2. */
  aspectRatios: number[];
}

export interface InputConfig {
  /** Order of the channels fed to the first conv. */
  channelOrder: 'RGB' | 'BGR';
  /** Value range of the pixels before mean/std: [0,1] ('unit') or [0,255] ('byte'). */
  pixelRange: 'unit' | 'byte';
  mean: [number, number, number];
  std: [number, number, number];
  /** Resize so the short side is minSize and the long side at most maxSize. */
  minSize: number;
  maxSize: number;
  /** How the resized size is rounded: torchvision floors, detectron2 rounds (int(x + 0.5)). */
  sizeRounding: 'floor' | 'round';
  /** Pad height and width up to a multiple of this (FPN needs 32 for P5, 128 for clean P7 strides). */
  sizeDivisible: number;
}

export interface PostprocessConfig {
  scoreThresh: number;
  topkCandidates: number;
  nmsThresh: number;
  detectionsPerImage: number;
  /** torchvision clips boxes to the image before NMS, detectron2 after. */
  clip: 'beforeNms' | 'afterNms';
  /** Clamp of dw, dh in box decoding: log(1000/16); null disables it (ODTK). */
  bboxXformClip: number | null;
  /** NMS over all classes together, for a model whose classes are mutually exclusive (one object, one class:
   *  the demo shapes); false (default, torchvision and detectron2): class-wise NMS, so one box may come back
   *  under several classes. Absent in older model.json files: false. */
  classAgnostic?: boolean;
}

export interface ModelConfig {
  /** Human-readable model name, reported in events (`model.name`). */
  name: string;
  format: 'retinastream/model@1';
  /** Where the weights came from: 'torchvision-v1', 'torchvision-v2', 'detectron2', 'retinastream'. */
  source: string;
  numClasses: number;
  /** One name per class index; '' or 'N/A' for unused ids (torchvision's COCO gaps). */
  classNames: string[];
  backbone: BackboneConfig;
  fpn: FpnConfig;
  head: HeadConfig;
  anchors: AnchorConfig;
  input: InputConfig;
  postprocess: PostprocessConfig;
}

export const TORCHVISION_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const TORCHVISION_STD: [number, number, number] = [0.229, 0.224, 0.225];
export const DETECTRON2_MEAN_BGR: [number, number, number] = [103.53, 116.28, 123.675];

/** The paper's RetinaNet with torchvision conventions; every other config is an override of this. */
export function defaultModelConfig(overrides: DeepPartial<ModelConfig> = {}): ModelConfig {
  const base: ModelConfig = {
    name: 'retinanet_resnet50_fpn',
    format: 'retinastream/model@1',
    source: 'retinastream',
    numClasses: 91,
    classNames: [],
    backbone: { depth: 50, strideIn: '3x3', bnEps: 1e-5, width: 64 },
    fpn: { channels: 256, p6From: 'C5' },
    head: { numConvs: 4, groupNorm: false, priorProb: 0.01 },
    anchors: {
      convention: 'torchvision',
      sizes: [32, 64, 128, 256, 512],
      scales: [1, 2 ** (1 / 3), 2 ** (2 / 3)],
      aspectRatios: [0.5, 1, 2],
    },
    input: {
      channelOrder: 'RGB',
      pixelRange: 'unit',
      mean: TORCHVISION_MEAN,
      std: TORCHVISION_STD,
      minSize: 800,
      maxSize: 1333,
      sizeRounding: 'floor',
      sizeDivisible: 32,
    },
    postprocess: {
      scoreThresh: 0.05,
      topkCandidates: 1000,
      nmsThresh: 0.5,
      detectionsPerImage: 100,
      clip: 'beforeNms',
      bboxXformClip: Math.log(1000 / 16),
      classAgnostic: false,
    },
  };
  return mergeDeep(base, overrides);
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

export function mergeDeep<T>(base: T, over: DeepPartial<T> | undefined): T {
  if (over === undefined) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    if (v === undefined) continue;
    const b = (base as Record<string, unknown>)[k];
    out[k] = isPlainObject(v) && isPlainObject(b) ? mergeDeep(b, v as DeepPartial<typeof b>) : v;
  }
  return out as T;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Number of anchors per location (9 in the paper). */
export function anchorsPerLocation(cfg: AnchorConfig): number {
  return cfg.scales.length * cfg.aspectRatios.length;
}

/** Throws an Error naming the bad key and the expected value; returns the config otherwise. */
export function validateModelConfig(cfg: ModelConfig, where = 'model config'): ModelConfig {
  const bad = (key: string, msg: string): never => {
    throw new Error(`${where}: ${key} ${msg}`);
  };
  if (cfg.format !== 'retinastream/model@1') bad('format', `is ${JSON.stringify(cfg.format)}, expected "retinastream/model@1"`);
  if (![18, 34, 50, 101].includes(cfg.backbone.depth)) bad('backbone.depth', `is ${cfg.backbone.depth}, expected 18, 34, 50 or 101`);
  if (!['1x1', '3x3'].includes(cfg.backbone.strideIn)) bad('backbone.strideIn', `must be "1x1" or "3x3"`);
  if (!(cfg.backbone.bnEps >= 0)) bad('backbone.bnEps', 'must be >= 0');
  if (!(Number.isInteger(cfg.backbone.width) && cfg.backbone.width >= 8)) bad('backbone.width', `is ${cfg.backbone.width}, expected an integer >= 8`);
  if (cfg.head.groupNorm && cfg.fpn.channels % 32 !== 0) bad('fpn.channels', `is ${cfg.fpn.channels}; GroupNorm(32) heads need a multiple of 32`);
  if (!['C5', 'P5'].includes(cfg.fpn.p6From)) bad('fpn.p6From', 'must be "C5" or "P5"');
  if (!Number.isInteger(cfg.numClasses) || cfg.numClasses < 1) bad('numClasses', `is ${cfg.numClasses}, expected a positive integer`);
  if (cfg.classNames.length !== 0 && cfg.classNames.length !== cfg.numClasses) {
    bad('classNames', `has ${cfg.classNames.length} names for ${cfg.numClasses} classes`);
  }
  if (cfg.anchors.sizes.length !== 5) bad('anchors.sizes', `has ${cfg.anchors.sizes.length} entries, expected 5 (P3..P7)`);
  if (!['torchvision', 'detectron2'].includes(cfg.anchors.convention)) bad('anchors.convention', 'must be "torchvision" or "detectron2"');
  if (!(cfg.input.minSize > 0 && cfg.input.maxSize >= cfg.input.minSize)) bad('input.minSize/maxSize', 'must satisfy 0 < minSize <= maxSize');
  const p = cfg.postprocess;
  if (!(p.scoreThresh >= 0 && p.scoreThresh < 1)) bad('postprocess.scoreThresh', `is ${p.scoreThresh}, expected [0, 1)`);
  if (!(p.nmsThresh > 0 && p.nmsThresh <= 1)) bad('postprocess.nmsThresh', `is ${p.nmsThresh}, expected (0, 1]`);
  if (!(Number.isInteger(p.topkCandidates) && p.topkCandidates > 0)) bad('postprocess.topkCandidates', 'must be a positive integer');
  if (!(Number.isInteger(p.detectionsPerImage) && p.detectionsPerImage > 0)) bad('postprocess.detectionsPerImage', 'must be a positive integer');
  if (p.classAgnostic !== undefined && typeof p.classAgnostic !== 'boolean') bad('postprocess.classAgnostic', `is ${JSON.stringify(p.classAgnostic)}, expected true or false`);
  return cfg;
}
