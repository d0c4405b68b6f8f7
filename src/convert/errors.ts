// Errors raised while reading and converting checkpoints. Each carries a stable code and a
// one-line message that names the file (or tensor) and the problem.
import { RetinaStreamError } from '../errors.ts';

export type ConvertErrorCode =
  | 'RS_ERR_CONVERT_FILE' // missing / unreadable file
  | 'RS_ERR_ZIP' // truncated or corrupt zip archive
  | 'RS_ERR_PICKLE' // malformed pickle, or a pickle asking for something we refuse to build
  | 'RS_ERR_CHECKPOINT_FORMAT' // readable, but not a checkpoint of the expected kind
  | 'RS_ERR_CHECKPOINT_ARCH' // a checkpoint of another architecture
  | 'RS_ERR_CHECKPOINT_KEYS'; // missing, unexpected or mis-shaped tensors

export class ConvertError extends RetinaStreamError<ConvertErrorCode> {}

/** "a, b, c and 7 more": lists at most `max` names so the message stays one readable line. */
export function listNames(names: string[], max = 10): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}
