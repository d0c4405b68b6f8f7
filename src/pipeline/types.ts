// Typed messages between pipeline stages. Data flows one way:
// source -> Frame -> Batch -> (inference) -> DetectionEvent -> sinks; StreamStatus on the side.
import type { Detection } from '../model/detector.ts';

/** One input of the pipeline: the config file's `inputs[]` entries (id optional there) and createPipeline's. */
export interface PipelineInput {
  /** Stream id in events; from the URL when a config leaves it out. */
  id: string;
  /** A file path or an rtsp(s)/http(s)/rtmp(s)/udp/tcp/srt/file URL. */
  url: string;
  /** Drop-to-newest instead of lossless (default: true for everything but files). */
  live?: boolean;
  rtspTransport?: 'tcp' | 'udp';
}

/** One decoded frame, already scaled and padded by ffmpeg to the model input size. */
export interface Frame {
  streamId: string;
  /** Monotonic per stream, across reconnects (0-based). */
  frameNumber: number;
  /** Presentation time in seconds, monotonic per stream across reconnects. */
  pts: number;
  /** Wall-clock time (ms since epoch) the frame left the decoder. */
  captureTime: number;
  /** Size of the source video (before scaling). */
  sourceWidth: number;
  sourceHeight: number;
  /** RGB bytes, height x width x 3, of the model input canvas (image placed top-left, padded). */
  data: Uint8Array;
  width: number;
  height: number;
  /** Size of the scaled image inside the canvas (the rest is padding). */
  contentWidth: number;
  contentHeight: number;
  /** Frames of this stream dropped (live backpressure) since the previous frame that was emitted. */
  droppedBefore: number;
  /** true for files and other lossless sources, false for live sources (drop-to-newest). */
  lossless: boolean;
}

/** Frames from any streams, inferred together. */
export interface Batch {
  frames: Frame[];
  /** When the batch was closed (ms since epoch). */
  formedAt: number;
}

/** One detection: box [x1, y1, x2, y2] in source-image pixels (the model's own type, one definition). */
export type { Detection };

export const EVENT_SCHEMA_VERSION = 1;

/** Event schema v1 (schema/detection-event.v1.schema.json); one per processed frame. */
export interface DetectionEvent {
  schemaVersion: 1;
  type: 'detections';
  streamId: string;
  frameNumber: number;
  /** Presentation timestamp in seconds. */
  pts: number;
  /** ISO-8601 wall-clock times. */
  captureTime: string;
  emitTime: string;
  /** emitTime - captureTime in milliseconds. */
  latencyMs: number;
  source: { width: number; height: number };
  model: { name: string; weightsHash: string };
  detections: Detection[];
  /** Frames of this stream dropped since the previous event. */
  droppedFrames: number;
  /** Cluster mode (`run --cluster`): the worker that produced the event. Absent outside a cluster. */
  worker?: string;
}

export type StreamState = 'connecting' | 'live' | 'stalled' | 'backing_off' | 'ended' | 'failed';

/** Emitted on every state change of a stream. */
export interface StreamStatusEvent {
  schemaVersion: 1;
  type: 'status';
  streamId: string;
  state: StreamState;
  previousState: StreamState | null;
  time: string;
  /** One line saying why (ffmpeg's error, stall timeout, backoff delay...). */
  reason?: string;
  /** Reconnect attempt number since the last time the stream was live. */
  attempt?: number;
  /** Milliseconds until the next attempt, when backing off. */
  retryInMs?: number;
  /** Cluster mode: the worker running the stream ('connecting' from 'ended' is a start there, 'ended' a stop). */
  worker?: string;
}

/**
 * Frames of one stream that were decoded but never got a detections event: their batch failed
 * (a worker died, the forward pass threw). The stream goes on with its next frames.
 */
export interface FramesLostEvent {
  schemaVersion: 1;
  type: 'error';
  streamId: string;
  /** Stable error code, e.g. RS_ERR_WORKER_DIED, RS_ERR_BATCH_FAILED. */
  code: string;
  /** One line saying what happened. */
  message: string;
  /** The frames of this stream that were lost (in order). */
  frameNumbers: number[];
  time: string;
  /** Cluster mode: the worker that lost the frames. */
  worker?: string;
}

export type PipelineEvent = DetectionEvent | StreamStatusEvent | FramesLostEvent;

/** A sink consumes events; it must never block the pipeline (buffer, drop and count instead). */
export interface Sink {
  readonly name: string;
  write(event: PipelineEvent): void;
  /** Flush what is buffered and release resources. */
  close(): Promise<void>;
  /** Counters for metrics and the status line. */
  stats(): SinkStats;
}

export interface SinkStats {
  written: number;
  dropped: number;
  [key: string]: number;
}
