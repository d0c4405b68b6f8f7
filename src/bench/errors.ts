// Errors of the pipeline benchmark, with stable codes.
import { RetinaStreamError } from '../errors.ts';
export type BenchErrorCode =
  | 'RS_ERR_BENCH_OPTIONS' // a figure asked for with impossible settings
  | 'RS_ERR_BENCH_NO_BATCH' // no full batch formed, nothing to time the engine with
  | 'RS_ERR_BENCH_WS' // a WebSocket client could not connect
  | 'RS_ERR_BENCH_KAFKA'; // the broker did not acknowledge in time

export class BenchError extends RetinaStreamError<BenchErrorCode> {}
