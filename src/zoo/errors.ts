// Model zoo errors: one line naming the model, URL or file and the problem.
import { RetinaStreamError } from '../errors.ts';

export type ZooErrorCode = 'RS_ERR_ZOO_UNKNOWN' | 'RS_ERR_ZOO_DOWNLOAD' | 'RS_ERR_ZOO_CHECKSUM' | 'RS_ERR_ZOO_CONVERT' | 'RS_ERR_ZOO_ARGS';

export class ZooError extends RetinaStreamError<ZooErrorCode> {}
