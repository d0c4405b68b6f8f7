// Detection events for the tracking tests.
import type { Detection } from '../../../src/model/detector.ts';
import type { DetectionEvent } from '../../../src/pipeline/types.ts';

export const box = (x: number, y: number, score = 0.9, classId = 1, w = 20, h = 40): Detection => ({ box: [x, y, x + w, y + h], score, classId, label: `c${classId}` });

export function detectionEvent(streamId: string, frameNumber: number, detections: Detection[], source = { width: 640, height: 360 }): DetectionEvent {
  return {
    schemaVersion: 1, type: 'detections', streamId, frameNumber, pts: frameNumber / 10,
    captureTime: new Date(1_700_000_000_000 + frameNumber * 100).toISOString(), emitTime: new Date(1_700_000_000_000 + frameNumber * 100 + 50).toISOString(),
    latencyMs: 50, source, model: { name: 'm', weightsHash: 'h' }, detections, droppedFrames: 0,
  };
}
