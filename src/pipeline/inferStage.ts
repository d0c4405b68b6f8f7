// The inference stage: one batch on the device at a time; each frame of the batch becomes one event
// (also when it has no detections). Batches are concatenated canvases, so ffmpeg's scaling is the
// only resize; boxes come back in source pixels.
import { mergeMap, type OperatorFunction } from 'rxjs';
import type { InferenceEngine } from '../model/engine.ts';
import { detectionEvent, type ModelInfo } from './events.ts';
import type { Batch, DetectionEvent } from './types.ts';

export interface InferResult {
  batch: Batch;
  events: DetectionEvent[];
  /** Wall time of the forward pass and post-processing (ms). */
  inferMs: number;
}

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

export async function inferBatch(detector: Pick<InferenceEngine, 'detectCanvases'>, model: ModelInfo, batch: Batch): Promise<InferResult> {
  const start = performance.now();
  const { width, height } = batch.frames[0];
  const dets = await detector.detectCanvases({
    data: concatCanvases(batch),
    count: batch.frames.length,
    height,
    width,
    geometry: batch.frames.map((f) => ({ resized: [f.contentHeight, f.contentWidth], source: [f.sourceHeight, f.sourceWidth] })),
  });
  const inferMs = performance.now() - start;
  const now = Date.now();
  return { batch, events: batch.frames.map((f, i) => detectionEvent(f, dets[i], model, now)), inferMs };
}

/**
 * Batches in, results out, up to `engine.concurrency` batches on the device(s) at once, results in batch
 * order (so each stream's events stay in frame order).
 */
export function inferBatches(
  engine: InferenceEngine,
  onDone: (r: InferResult) => void,
  /** Applied when the batch goes onto the device (e.g. refreshLiveFrames). */
  atDispatch: (b: Batch) => Batch = (b) => b,
): OperatorFunction<Batch, InferResult> {
  const model = { name: engine.model.name, weightsHash: engine.model.hash };
  return (batches$) => {
    let nextIn = 0;
    let nextOut = 0;
    const ready = new Map<number, InferResult>();
    return batches$.pipe(
      mergeMap(async (batch) => {
        const seq = nextIn++;
        const r = await inferBatch(engine, model, atDispatch(batch));
        onDone(r);
        ready.set(seq, r);
        const out: InferResult[] = [];
        while (ready.has(nextOut)) {
          out.push(ready.get(nextOut)!);
          ready.delete(nextOut++);
        }
        return out;
      }, engine.concurrency),
      mergeMap((rs) => rs),
    );
  };
}
