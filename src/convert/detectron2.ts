// Converts a detectron2 model-zoo RetinaNet (.pkl: a pickle of {'model': {name: numpy array}, ...},
// or the bare dict) into canonical (torchvision-named) tensors + config.
//
// Only names change. detectron2's anchor order is kept (anchors.convention 'detectron2'), so the
// class and box head weights need no permutation of their 9 anchor groups: the model generates
// anchors in the order these weights were trained with.

import { DETECTRON2_MEAN_BGR, type DeepPartial, type ModelConfig } from '../model/config.ts';
import { type Converted, findStateDict, materialize, readCheckpointFile, shapesOf } from './checkpoint.ts';
import { describeCheckpointKind } from './checkpointKind.ts';
import { COCO_80_NAMES } from './cocoNames.ts';
import { ConvertError } from './errors.ts';
import { numpyGlobals } from './numpyPickle.ts';
import { unpickle } from './pickle.ts';
import { checkShapes, describeArch, expectedShapes, inferArch, type RetinaNetArch } from './retinanetSpec.ts';
import type { LoadedArray } from './tensorData.ts';
import { looksLikeTorchFile, readTorchFile } from './torchFile.ts';


const BN_PARAM = '(weight|bias|running_mean|running_var)';

/** detectron2 name -> canonical torchvision name, or null for a name that is not a model weight. */
const RULES: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^backbone\.bottom_up\.stem\.conv1\.weight$/, () => 'backbone.body.conv1.weight'],
  [new RegExp(`^backbone\\.bottom_up\\.stem\\.conv1\\.norm\\.${BN_PARAM}$`), (m) => `backbone.body.bn1.${m[1]}`],
  [/^backbone\.bottom_up\.res([2-5])\.(\d+)\.conv([123])\.weight$/, (m) => `backbone.body.layer${Number(m[1]) - 1}.${m[2]}.conv${m[3]}.weight`],
  [
    new RegExp(`^backbone\\.bottom_up\\.res([2-5])\\.(\\d+)\\.conv([123])\\.norm\\.${BN_PARAM}$`),
    (m) => `backbone.body.layer${Number(m[1]) - 1}.${m[2]}.bn${m[3]}.${m[4]}`,
  ],
  [/^backbone\.bottom_up\.res([2-5])\.(\d+)\.shortcut\.weight$/, (m) => `backbone.body.layer${Number(m[1]) - 1}.${m[2]}.downsample.0.weight`],
  [
    new RegExp(`^backbone\\.bottom_up\\.res([2-5])\\.(\\d+)\\.shortcut\\.norm\\.${BN_PARAM}$`),
    (m) => `backbone.body.layer${Number(m[1]) - 1}.${m[2]}.downsample.1.${m[3]}`,
  ],
  [/^backbone\.fpn_lateral([345])\.(weight|bias)$/, (m) => `backbone.fpn.inner_blocks.${Number(m[1]) - 3}.0.${m[2]}`],
  [/^backbone\.fpn_output([345])\.(weight|bias)$/, (m) => `backbone.fpn.layer_blocks.${Number(m[1]) - 3}.0.${m[2]}`],
  [/^backbone\.top_block\.(p6|p7)\.(weight|bias)$/, (m) => `backbone.fpn.extra_blocks.${m[1]}.${m[2]}`],
  // Subnets are Sequential(conv, ReLU, conv, ReLU, ...): convs sit at even indices.
  [/^head\.cls_subnet\.(\d*[02468])\.(weight|bias)$/, (m) => `head.classification_head.conv.${Number(m[1]) / 2}.0.${m[2]}`],
  [/^head\.cls_score\.(weight|bias)$/, (m) => `head.classification_head.cls_logits.${m[1]}`],
  [/^head\.bbox_subnet\.(\d*[02468])\.(weight|bias)$/, (m) => `head.regression_head.conv.${Number(m[1]) / 2}.0.${m[2]}`],
  [/^head\.bbox_pred\.(weight|bias)$/, (m) => `head.regression_head.bbox_reg.${m[1]}`],
];

/** The canonical name of a detectron2 RetinaNet weight; the name itself when no rule applies. */
export function detectron2ToCanonical(name: string): string {
  for (const [re, to] of RULES) {
    const m = re.exec(name);
    if (m) return to(m);
  }
  return name;
}

function meanStd(arrays: Map<string, LoadedArray>, key: string, name: string): [number, number, number] | undefined {
  const a = arrays.get(key);
  if (!a) return undefined;
  const v = a.float32(`${name}: ${key}`);
  if (v.length !== 3) throw new ConvertError('RS_ERR_CHECKPOINT_KEYS', `${name}: ${key} has ${v.length} values, expected 3 (one per channel)`);
  // float32 in the file: 7 significant digits give back the decimal that was written (103.53, not 103.52999877).
  const round = (x: number): number => Number(x.toPrecision(7));
  return [round(v[0]), round(v[1]), round(v[2])];
}

/** Model config implied by a detectron2 checkpoint of architecture `a`. */
export function detectron2Config(a: RetinaNetArch, mean?: [number, number, number], std?: [number, number, number]): DeepPartial<ModelConfig> {
  return {
    name: `detectron2_retinanet_R_${a.depth}_FPN`,
    format: 'retinastream/model@1',
    source: 'detectron2',
    numClasses: a.numClasses,
    classNames: a.numClasses === COCO_80_NAMES.length ? [...COCO_80_NAMES] : [],
    backbone: { depth: a.depth, strideIn: '1x1', bnEps: 1e-5, width: 64 },
    fpn: { channels: a.fpnChannels, p6From: a.p6From },
    head: { numConvs: a.numConvs, groupNorm: a.groupNorm },
    anchors: { convention: 'detectron2' },
    input: {
      channelOrder: 'BGR',
      pixelRange: 'byte',
      mean: mean ?? [...DETECTRON2_MEAN_BGR],
      std: std ?? [1, 1, 1],
      minSize: 800,
      maxSize: 1333,
      sizeRounding: 'round',
    },
    postprocess: { detectionsPerImage: 100, clip: 'afterNms' },
  };
}

/** Converts the pickle held in `buf`; `name` is the file name used in messages. */
export function convertDetectron2Buffer(buf: Uint8Array, name: string): Converted {
  // Model-zoo files are pickles of numpy arrays; checkpoints detectron2 trains itself are torch.save files.
  let obj: unknown;
  if (looksLikeTorchFile(buf)) obj = readTorchFile(buf, name);
  else if (buf.byteLength >= 2 && buf[0] === 0x80) obj = unpickle(buf, { name, globals: numpyGlobals() });
  else {
    const head = [...buf.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${name}: neither a pickle (.pkl) nor a torch.save file (starts with bytes ${head})`);
  }
  const { arrays: raw, container, skipped } = findStateDict(obj, name);
  const report = [`${name}: read ${raw.size} arrays from the ${container}`];
  if (skipped.length) report.push(`ignored ${skipped.length} non-array entries`);
  const arrays = new Map<string, LoadedArray>();
  const ignored: string[] = [];
  for (const [k, a] of raw) {
    if (k.startsWith('anchor_generator.') || k === 'pixel_mean' || k === 'pixel_std') {
      ignored.push(k);
      continue;
    }
    arrays.set(detectron2ToCanonical(k), a);
  }
  if (ignored.length) report.push(`not weights, not copied: ${ignored.join(', ')}`);
  const names = [...raw.keys()];
  if (!names.some((k) => k.startsWith('backbone.bottom_up.')) || !names.some((k) => k.startsWith('head.cls_score.'))) {
    const what = describeCheckpointKind(names, 'a pickle without detectron2 RetinaNet keys');
    throw new ConvertError(
      'RS_ERR_CHECKPOINT_ARCH',
      `${name}: looks like ${what}; expected a detectron2 RetinaNet (backbone.bottom_up.*, backbone.fpn_lateral*, head.cls_subnet.*, head.cls_score.*)`,
    );
  }
  const shapes = shapesOf(arrays);
  const arch = inferArch(shapes, name);
  checkShapes(shapes, expectedShapes(arch), name);
  report.push(`architecture: ${describeArch(arch)} (detectron2, stride in the 1x1 conv)`);
  const mean = meanStd(raw, 'pixel_mean', name);
  const std = meanStd(raw, 'pixel_std', name);
  if (mean || std) report.push(`input mean/std from the checkpoint: [${mean ?? DETECTRON2_MEAN_BGR}] / [${std ?? [1, 1, 1]}]`);
  return { tensors: materialize(arrays, name), config: detectron2Config(arch, mean, std), report };
}

export async function convertDetectron2(path: string): Promise<Converted> {
  return convertDetectron2Buffer(await readCheckpointFile(path), path);
}
