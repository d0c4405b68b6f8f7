// Converts a torchvision RetinaNet checkpoint (.pth from torch.save; retinanet_resnet50_fpn v1 or
// retinanet_resnet50_fpn_v2, any ResNet-18/34/50/101 depth) into canonical tensors + config.
// Canonical names are torchvision's current state_dict keys, so the values are copied as they are.

import { type DeepPartial, type ModelConfig, TORCHVISION_MEAN, TORCHVISION_STD } from '../model/config.ts';
import { type Converted, findStateDict, materialize, readCheckpointFile, shapesOf } from './checkpoint.ts';
import { describeCheckpointKind } from './checkpointKind.ts';
import { TORCHVISION_COCO_NAMES } from './cocoNames.ts';
import { ConvertError } from './errors.ts';
import { checkShapes, describeArch, expectedShapes, inferArch, type RetinaNetArch } from './retinanetSpec.ts';
import type { LoadedArray } from './tensorData.ts';
import { readTorchFile } from './torchFile.ts';

/**
 * torchvision renames these on load (`_load_from_state_dict`, state_dict version < 2): the heads'
 * Sequential `conv.{0,2,4,6}` (ReLUs in between) became `conv.{0..3}.0`, and the FPN's plain convs
 * `inner_blocks.i` / `layer_blocks.i` became `…i.0`.
 */
export function renameOldLayout(key: string): string {
  const head = /^(head\.(?:classification|regression)_head\.conv\.)(\d+)\.(weight|bias)$/.exec(key);
  if (head && Number(head[2]) % 2 === 0) return `${head[1]}${Number(head[2]) / 2}.0.${head[3]}`;
  const fpn = /^(backbone\.fpn\.(?:inner|layer)_blocks\.\d+)\.(weight|bias)$/.exec(key);
  if (fpn) return `${fpn[1]}.0.${fpn[2]}`;
  return key;
}

/** Model config implied by a torchvision checkpoint of architecture `a`. */
export function torchvisionConfig(a: RetinaNetArch): DeepPartial<ModelConfig> {
  const v2 = a.groupNorm;
  return {
    name: `retinanet_resnet${a.depth}_fpn${v2 ? '_v2' : ''}`,
    format: 'retinastream/model@1',
    source: v2 ? 'torchvision-v2' : 'torchvision-v1',
    numClasses: a.numClasses,
    classNames: a.numClasses === TORCHVISION_COCO_NAMES.length ? [...TORCHVISION_COCO_NAMES] : [],
    // torchvision overwrites the frozen-BN eps to 0 for the v1 COCO weights; v2 keeps 1e-5.
    backbone: { depth: a.depth, strideIn: '3x3', bnEps: v2 ? 1e-5 : 0, width: 64 },
    fpn: { channels: a.fpnChannels, p6From: a.p6From },
    head: { numConvs: a.numConvs, groupNorm: a.groupNorm },
    anchors: { convention: 'torchvision' },
    input: {
      channelOrder: 'RGB',
      pixelRange: 'unit',
      mean: [...TORCHVISION_MEAN],
      std: [...TORCHVISION_STD],
      minSize: 800,
      maxSize: 1333,
      sizeRounding: 'floor',
    },
    postprocess: { detectionsPerImage: 300, clip: 'beforeNms' },
  };
}

/** Converts the checkpoint held in `buf`; `name` is the file name used in messages. */
export function convertTorchvisionBuffer(buf: Uint8Array, name: string): Converted {
  const { arrays: raw, container, skipped } = findStateDict(readTorchFile(buf, name), name);
  const report = [`${name}: read ${raw.size} tensors from the ${container}`];
  if (skipped.length) report.push(`ignored ${skipped.length} non-tensor entries`);
  const arrays = new Map<string, LoadedArray>();
  let renamed = 0;
  let dropped = 0;
  for (const [k, a] of raw) {
    if (k.endsWith('.num_batches_tracked')) {
      dropped++;
      continue;
    }
    const key = renameOldLayout(k.startsWith('module.') ? k.slice('module.'.length) : k);
    if (key !== k) renamed++;
    if (arrays.has(key)) throw new ConvertError('RS_ERR_CHECKPOINT_KEYS', `${name}: both ${k} and ${key} are present (old and new layout mixed)`);
    arrays.set(key, a);
  }
  if (dropped) report.push(`dropped ${dropped} num_batches_tracked buffers`);
  if (renamed) report.push(`renamed ${renamed} keys from the old torchvision layout`);
  const names = [...arrays.keys()];
  if (!names.some((k) => k.startsWith('head.classification_head.')) || !names.some((k) => k.startsWith('backbone.body.'))) {
    const what = describeCheckpointKind(names, 'a checkpoint without RetinaNet keys');
    throw new ConvertError(
      'RS_ERR_CHECKPOINT_ARCH',
      `${name}: looks like ${what}; expected a torchvision RetinaNet state_dict (backbone.body.*, backbone.fpn.*, head.classification_head.*, head.regression_head.*)`,
    );
  }
  const shapes = shapesOf(arrays);
  const arch = inferArch(shapes, name);
  checkShapes(shapes, expectedShapes(arch), name);
  report.push(`architecture: ${describeArch(arch)} (torchvision ${arch.groupNorm ? 'v2' : 'v1'})`);
  if (!arch.groupNorm) report.push('backbone.bnEps = 0: torchvision runs its v1 COCO weights with FrozenBatchNorm eps 0 (a v1 model you trained yourself: --bn-eps 1e-5)');
  return { tensors: materialize(arrays, name), config: torchvisionConfig(arch), report };
}

export async function convertTorchvision(path: string): Promise<Converted> {
  return convertTorchvisionBuffer(await readCheckpointFile(path), path);
}
