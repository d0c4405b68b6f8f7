// A frame for operator tests: 4x4, no pixels (operators never read them).
import type { Frame } from '../../../src/pipeline/types.ts';

export function frame(streamId: string, n: number, lossless = true): Frame {
  return { streamId, frameNumber: n, pts: n / 10, captureTime: 0, sourceWidth: 4, sourceHeight: 4, data: new Uint8Array(0), width: 4, height: 4, contentWidth: 4, contentHeight: 4, droppedBefore: 0, lossless };
}
