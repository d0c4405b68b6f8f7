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

/** A detection as events carry it: with the id of its track when tracking is on and the detection is on a confirmed track. */
export interface EventDetection extends Detection {
  /** Stable per stream while the object is tracked (1, 2, ...); absent when tracking is off or the detection is not on a confirmed track. */
  trackId?: number;
}

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
  detections: EventDetection[];
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

/** A track was confirmed (its id is first on a detection in the frame of the detections event that follows). */
export interface TrackStartedEvent {
  schemaVersion: 1;
  type: 'track_started';
  streamId: string;
  trackId: number;
  classId: number;
  label: string;
  /** Frame, pts (s) and ISO capture time where the track was first seen (tentative frames included). */
  firstFrame: number;
  firstPts: number;
  firstTime: string;
  /** Frame where it was confirmed (the detections event with its id first). */
  frameNumber: number;
  box: [number, number, number, number];
  score: number;
  time: string;
  /** Cluster mode: the worker that produced the event. */
  worker?: string;
}

/** A confirmed track ended: lost for longer than tracking.trackBuffer frames, a duplicate of another, or the run ended. */
export interface TrackEndedEvent {
  schemaVersion: 1;
  type: 'track_ended';
  streamId: string;
  trackId: number;
  /** The track's most frequent class. */
  classId: number;
  label: string;
  firstFrame: number;
  lastFrame: number;
  firstPts: number;
  lastPts: number;
  firstTime: string;
  lastTime: string;
  /** lastPts - firstPts, seconds. */
  durationS: number;
  /** Frames the track was matched to a detection. */
  framesSeen: number;
  reason: 'lost' | 'duplicate' | 'stream_ended';
  time: string;
  /** Cluster mode: the worker that produced the event. */
  worker?: string;
}

/** What zone_enter and zone_exit share. */
interface ZoneEventFields {
  schemaVersion: 1;
  streamId: string;
  zone: string;
  trackId: number;
  classId: number;
  label: string;
  frameNumber: number;
  pts: number;
  /** Tracks in the zone after this event. */
  occupancy: number;
  time: string;
  /** Cluster mode: the worker that produced the event. */
  worker?: string;
}

/** A tracked object's anchor point (bottom centre of its box by default) entered a zone. */
export interface ZoneEnterEvent extends ZoneEventFields {
  type: 'zone_enter';
}

/** A tracked object left a zone (its anchor point left, or its track ended inside). */
export interface ZoneExitEvent extends ZoneEventFields {
  type: 'zone_exit';
  /** Seconds (pts) between entering and leaving. */
  dwellS: number;
  reason: 'left' | 'track_ended';
}

/** A tracked object's anchor point crossed a directed line (from -> to). */
export interface LineCrossEvent {
  schemaVersion: 1;
  type: 'line_cross';
  streamId: string;
  line: string;
  trackId: number;
  classId: number;
  label: string;
  frameNumber: number;
  pts: number;
  /** "in": from the left of the line to its right as seen on screen walking from `from` to `to`; "out": the other way. */
  direction: 'in' | 'out';
  /** Crossings of this line so far, per direction. */
  counts: { in: number; out: number };
  time: string;
  /** Cluster mode: the worker that produced the event. */
  worker?: string;
}

export type TrackEvent = TrackStartedEvent | TrackEndedEvent;
export type ZoneEvent = ZoneEnterEvent | ZoneExitEvent | LineCrossEvent;

export type PipelineEvent = DetectionEvent | StreamStatusEvent | FramesLostEvent | TrackEvent | ZoneEvent;

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
