// Engine-only throughput: the engine fed the same pre-made canvas batch over and over, with as many
// batches in flight as it runs at once. The ceiling the streaming pipeline is measured against.
// Each call gets its own copy of the bytes: worker engines take ownership of (transfer) the buffer.
import type { CanvasBatch } from '../model/detector.ts';
import type { InferenceEngine } from '../model/engine.ts';
import { BenchError } from './errors.ts';

export interface EngineFpsResult {
  frames: number;
  batches: number;
  batchSize: number;
  seconds: number;
  fps: number;
  /** Mean wall time of one batch (ms), measured around each detectCanvases call. */
  meanBatchMs: number;
}

export async function measureEngineFps(engine: Pick<InferenceEngine, 'detectCanvases' | 'concurrency'>, batch: CanvasBatch, batches: number): Promise<EngineFpsResult> {
  if (!Number.isInteger(batches) || batches < 1) throw new BenchError('RS_ERR_BENCH_OPTIONS', `engine fps: batches ${batches} must be an integer >= 1`);
  const lanes = Math.max(1, engine.concurrency);
  const copy = (): CanvasBatch => ({ ...batch, data: batch.data.slice() });
  await Promise.all(Array.from({ length: lanes }, () => engine.detectCanvases(copy()))); // warm-up, one per worker
  let started = 0;
  let batchMs = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (started < batches) {
      started++;
      const t = performance.now();
      await engine.detectCanvases(copy());
      batchMs += performance.now() - t;
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  const seconds = (performance.now() - t0) / 1000;
  const frames = batches * batch.count;
  return { frames, batches, batchSize: batch.count, seconds, fps: frames / seconds, meanBatchMs: batchMs / batches };
}
