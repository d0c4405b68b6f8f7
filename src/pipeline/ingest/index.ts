// Ingest: one ffmpeg per input, decoded to the model canvas, behind a self-healing StreamSource.

export { createStreamSource, type StreamSource, type SourceStats } from './streamSource.ts';
export { type SourceOptions, DEFAULT_PAD_COLOR } from './sourceOptions.ts';
export { streamIdFromUrl, parseInputArg } from './inputArg.ts';
export { findFfmpeg } from './findFfmpeg.ts';
export { fitCanvas } from './fitCanvas.ts';
export { IngestError, type IngestErrorCode } from './errors.ts';
export { type BackoffOptions, DEFAULT_BACKOFF } from './backoff.ts';
