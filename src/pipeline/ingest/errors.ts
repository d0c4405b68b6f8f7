// Errors raised while configuring a stream source. Runtime failures of a running source (ffmpeg
// exits, stalls, refused connections) are not thrown: they become status events with a reason.
import { RetinaStreamError } from '../../errors.ts';

export type IngestErrorCode =
  | 'RS_ERR_INPUT_ARG' // a malformed "[ID=]URL" input argument
  | 'RS_ERR_SOURCE_OPTIONS' // a SourceOptions value out of range or of the wrong kind
  | 'RS_ERR_FFMPEG_NOT_FOUND'; // no ffmpeg on PATH nor in @ffmpeg-installer/ffmpeg

export class IngestError extends RetinaStreamError<IngestErrorCode> {}
