// Checkpoint conversion: torchvision .pth and detectron2 .pkl -> canonical tensors + model config.

import type { Converted } from './checkpoint.ts';
import { convertDetectron2 } from './detectron2.ts';
import { ConvertError } from './errors.ts';
import { convertTorchvision } from './torchvision.ts';

export type { Converted } from './checkpoint.ts';
export { ConvertError, type ConvertErrorCode } from './errors.ts';
export { convertDetectron2 } from './detectron2.ts';
export { convertTorchvision } from './torchvision.ts';

export type CheckpointSource = 'torchvision' | 'detectron2';
export const CHECKPOINT_SOURCES: readonly CheckpointSource[] = ['torchvision', 'detectron2'];

/** Converts the checkpoint at `path`; errors (ConvertError, with a code) name the path and the problem. */
export function convertCheckpoint(from: CheckpointSource, path: string): Promise<Converted> {
  switch (from) {
    case 'torchvision':
      return convertTorchvision(path);
    case 'detectron2':
      return convertDetectron2(path);
    default:
      return Promise.reject(
        new ConvertError('RS_ERR_CHECKPOINT_FORMAT', `${path}: unknown checkpoint source ${JSON.stringify(from)}, expected one of ${CHECKPOINT_SOURCES.join(', ')}`),
      );
  }
}
