// What the inference stage sends to the engine: a batch of frames as one canvas batch. Batches are
// concatenated canvases, so ffmpeg's scaling is the only resize; boxes come back in source pixels.
// The stage itself (ordering, concurrency, failed batches) is operators/orderedInference.ts.
import type { CanvasBatch } from '../model/detector.ts';
import type { InferenceEngine } from '../model/engine.ts';
import type { Batch, Detection } from './types.ts';

export type { InferResult } from './operators/orderedInference.ts';

export function concatCanvases(batch: Batch): Uint8Array {
  const { width, height } = batch.frames[0];
  const size = width * height * 3;
  const data = new Uint8Array(size * batch.frames.length);
  batch.frames.forEach((f, i) => {
    if (f.width !== width || f.height !== height) throw new Error(`stream ${f.streamId}: frame canvas ${f.width}x${f.height} differs from the batch's ${width}x${height}`);
    data.set(f.data, i * size);
  });
  return data;
}

export function canvasBatch(batch: Batch): CanvasBatch {
  const { width, height } = batch.frames[0];
  return {
    data: concatCanvases(batch),
    count: batch.frames.length,
    height,
    width,
    geometry: batch.frames.map((f) => ({ resized: [f.contentHeight, f.contentWidth], source: [f.sourceHeight, f.sourceWidth] })),
  };
}

/** The engine as the inference operator's `infer` function. */
export function engineInfer(engine: Pick<InferenceEngine, 'detectCanvases'>): (b: Batch) => Promise<Detection[][]> {
  return async (b) => engine.detectCanvases(canvasBatch(b));
}
