// Errors raised while loading COCO data and evaluating detections. Each carries a stable code and a
// one-line message that names the file (or option) and the bad entry.
import { RetinaStreamError } from '../errors.ts';

export type EvalErrorCode =
  | 'RS_ERR_EVAL_FILE' // missing / unreadable file, or not JSON / JSONL
  | 'RS_ERR_COCO_DATASET' // an annotation file entry is missing a field, duplicated, or inconsistent
  | 'RS_ERR_COCO_RESULTS' // a results entry (COCO results JSON or retinastream event) is malformed
  | 'RS_ERR_EVAL_MISMATCH' // results refer to images the dataset does not have
  | 'RS_ERR_EVAL_OPTIONS'; // evaluation options out of range

export class EvalError extends RetinaStreamError<EvalErrorCode> {}
