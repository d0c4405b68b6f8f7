// Building the v1 events (schema/detection-event.v1.schema.json) from frames and detections.
import type { Detection, DetectionEvent, Frame, FramesLostEvent } from './types.ts';

export interface ModelInfo {
  name: string;
  weightsHash: string;
}

/** How events write numbers: boxes to 0.01 px, scores to 1e-5, durations to 1e-6 s. */
export const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
export const eventBox = (b: Readonly<Detection['box']>): Detection['box'] => [round(b[0], 2), round(b[1], 2), round(b[2], 2), round(b[3], 2)];
export const eventScore = (s: number) => round(s, 5);

export function detectionEvent(frame: Frame, detections: Detection[], model: ModelInfo, emitTime = Date.now()): DetectionEvent {
  return {
    schemaVersion: 1,
    type: 'detections',
    streamId: frame.streamId,
    frameNumber: frame.frameNumber,
    pts: frame.pts,
    captureTime: new Date(frame.captureTime).toISOString(),
    emitTime: new Date(emitTime).toISOString(),
    latencyMs: Math.max(0, emitTime - frame.captureTime),
    source: { width: frame.sourceWidth, height: frame.sourceHeight },
    model,
    detections: detections.map((d) => ({
      box: eventBox(d.box),
      score: eventScore(d.score),
      classId: d.classId,
      label: d.label,
    })),
    droppedFrames: frame.droppedBefore,
  };
}

/** One error event per stream for the frames of a failed batch (in frame order). */
export function framesLostEvents(frames: readonly Frame[], error: { code?: string; message: string }, time = Date.now()): FramesLostEvent[] {
  const byStream = new Map<string, number[]>();
  for (const f of frames) byStream.set(f.streamId, [...(byStream.get(f.streamId) ?? []), f.frameNumber]);
  const code = error.code && /^RS_ERR_[A-Z0-9_]+$/.test(error.code) ? error.code : 'RS_ERR_BATCH_FAILED';
  return [...byStream].map(([streamId, frameNumbers]) => ({
    schemaVersion: 1,
    type: 'error',
    streamId,
    code,
    message: error.message.split('\n')[0],
    frameNumbers: frameNumbers.sort((a, b) => a - b),
    time: new Date(time).toISOString(),
  }));
}
