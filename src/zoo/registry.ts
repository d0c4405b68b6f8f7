// The model zoo: published COCO RetinaNets with their official URLs, expected checksums and licences
// (torchvision's models/detection/retinanet.py and detectron2's MODEL_ZOO.md). torchvision puts the first 8 hex
// digits of the file's sha256 in its name (torch hub's check_hash); detectron2 puts a prefix of its md5.
import type { CheckpointSource } from '../convert/index.ts';

export type HashAlgorithm = 'sha256' | 'md5';

export interface ZooEntry {
  name: string;
  url: string;
  /** Expected digest (hex); a prefix of at least 6 hex digits is checked as a prefix. */
  checksum: { algorithm: HashAlgorithm; hex: string };
  from: CheckpointSource;
  /** COCO val2017 box AP as published. */
  cocoAp: number | null;
  licence: string;
  description: string;
}

const TV_LICENCE = 'BSD-3-Clause (torchvision)';
const D2_LICENCE = 'CC BY-SA 3.0 (detectron2 model zoo)';
const D2 = 'https://dl.fbaipublicfiles.com/detectron2/COCO-Detection';

export const ZOO: readonly ZooEntry[] = [
  {
    name: 'retinanet_resnet50_fpn_coco',
    url: 'https://download.pytorch.org/models/retinanet_resnet50_fpn_coco-eeacb38b.pth',
    checksum: { algorithm: 'sha256', hex: 'eeacb38b' },
    from: 'torchvision',
    cocoAp: 36.4,
    licence: TV_LICENCE,
    description: 'torchvision v1, ResNet-50-FPN, 34.0M parameters',
  },
  {
    name: 'retinanet_resnet50_fpn_v2_coco',
    url: 'https://download.pytorch.org/models/retinanet_resnet50_fpn_v2_coco-5905b1c5.pth',
    checksum: { algorithm: 'sha256', hex: '5905b1c5' },
    from: 'torchvision',
    cocoAp: 41.5,
    licence: TV_LICENCE,
    description: 'torchvision v2, ResNet-50-FPN, GroupNorm heads, P6 from C5, 38.2M parameters',
  },
  {
    name: 'retinanet_R_50_FPN_1x',
    url: `${D2}/retinanet_R_50_FPN_1x/190397773/model_final_bfca0b.pkl`,
    checksum: { algorithm: 'md5', hex: 'bfca0b' },
    from: 'detectron2',
    cocoAp: 37.4,
    licence: D2_LICENCE,
    description: 'detectron2 model 190397773, ResNet-50-FPN, 1x schedule',
  },
  {
    name: 'retinanet_R_50_FPN_3x',
    url: `${D2}/retinanet_R_50_FPN_3x/190397829/model_final_5bd44e.pkl`,
    checksum: { algorithm: 'md5', hex: '5bd44e' },
    from: 'detectron2',
    cocoAp: 38.7,
    licence: D2_LICENCE,
    description: 'detectron2 model 190397829, ResNet-50-FPN, 3x schedule',
  },
  {
    name: 'retinanet_R_101_FPN_3x',
    url: `${D2}/retinanet_R_101_FPN_3x/190397697/model_final_971ab9.pkl`,
    checksum: { algorithm: 'md5', hex: '971ab9' },
    from: 'detectron2',
    cocoAp: 40.4,
    licence: D2_LICENCE,
    description: 'detectron2 model 190397697, ResNet-101-FPN, 3x schedule (the paper\'s R-101-FPN)',
  },
];

export function findZooEntry(name: string): ZooEntry | undefined {
  return ZOO.find((e) => e.name === name);
}

/** RETINASTREAM_MODELS_MIRROR=BASE: the same path under another scheme and host (BASE may have a path prefix). */
export function mirrored(url: string, mirror: string | undefined): string {
  if (!mirror) return url;
  const u = new URL(url);
  return mirror.replace(/\/+$/, '') + u.pathname + u.search;
}
