// The error thrown for bad inputs to the training numerics (losses, targets, optimizer).
// `code` is stable so callers can branch on it; the message names the input and what was expected.
import { RetinaStreamError } from '../../errors.ts';

export type TrainErrorCode =
  | 'RS_ERR_LOSS_INPUT' // a loss got tensors of mismatched shapes or a bad option
  | 'RS_ERR_TARGETS_INPUT' // ground truth boxes/labels or anchors are malformed
  | 'RS_ERR_OPTIM_CONFIG' // optimizer / schedule configuration out of range
  | 'RS_ERR_OPTIM_STATE'; // a saved optimizer state does not fit the variables

export class TrainError extends RetinaStreamError<TrainErrorCode> {}

export type Reduction = 'none' | 'sum' | 'mean';

export function checkReduction(where: string, reduction: string): asserts reduction is Reduction {
  if (reduction !== 'none' && reduction !== 'sum' && reduction !== 'mean') {
    throw new TrainError('RS_ERR_LOSS_INPUT', `${where}: reduction '${reduction}' is not one of none, sum, mean`);
  }
}

export function sameShape(where: string, a: { shape: number[] }, b: { shape: number[] }, names: [string, string]): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new TrainError('RS_ERR_LOSS_INPUT', `${where}: ${names[0]} shape [${a.shape}] differs from ${names[1]} shape [${b.shape}]`);
  }
}
