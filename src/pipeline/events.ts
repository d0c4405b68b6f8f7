// Building the v1 events (schema/detection-event.v1.schema.json) from frames and detections.
import type { Detection as ModelDetection } from '../model/detector.ts';
import type { DetectionEvent, Frame } from './types.ts';

export interface ModelInfo {
  name: string;
  weightsHash: string;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

export function detectionEvent(frame: Frame, detections: ModelDetection[], model: ModelInfo, emitTime = Date.now()): DetectionEvent {
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
      box: [round(d.box[0], 2), round(d.box[1], 2), round(d.box[2], 2), round(d.box[3], 2)],
      score: round(d.score, 5),
      classId: d.classId,
      label: d.label,
    })),
    droppedFrames: frame.droppedBefore,
  };
}
