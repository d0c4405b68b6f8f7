// The error the trainer and its config loader throw: a stable code and a one-line message naming the
// option, file or checkpoint and what is wrong with it.
import { RetinaStreamError } from '../../errors.ts';

export type TrainerErrorCode =
  | 'RS_ERR_TRAIN_OPTIONS' // a trainer option is missing or out of range
  | 'RS_ERR_TRAIN_CONFIG' // a training config file is unreadable, not JSON, or has bad keys/values
  | 'RS_ERR_TRAIN_DATA' // the dataset does not fit the model (e.g. a category id >= numClasses)
  | 'RS_ERR_CHECKPOINT' // a checkpoint is missing, incomplete or does not fit the run
  | 'RS_ERR_TRAIN_DIVERGED'; // the loss became NaN or infinite

export class TrainerError extends RetinaStreamError<TrainerErrorCode> {}
