// Engine-only throughput: the engine fed pre-made canvas batches (the pipeline's own, in turn), with as
// many batches in flight as it runs at once. The ceiling the streaming pipeline is measured against.
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

export async function measureEngineFps(engine: Pick<InferenceEngine, 'detectCanvases' | 'concurrency'>, samples: CanvasBatch | CanvasBatch[], batches: number): Promise<EngineFpsResult> {
  if (!Number.isInteger(batches) || batches < 1) throw new BenchError('RS_ERR_BENCH_OPTIONS', `engine fps: batches ${batches} must be an integer >= 1`);
  const pool = Array.isArray(samples) ? samples : [samples];
  if (pool.length === 0) throw new BenchError('RS_ERR_BENCH_OPTIONS', 'engine fps: no batch to time');
  if (pool.some((b) => b.count !== pool[0].count)) throw new BenchError('RS_ERR_BENCH_OPTIONS', 'engine fps: the batches differ in size');
  const lanes = Math.max(1, engine.concurrency);
  let next = 0;
  const copy = (): CanvasBatch => {
    const batch = pool[next++ % pool.length];
    return { ...batch, data: batch.data.slice() };
  };
  await Promise.all(Array.from({ length: lanes }, () => engine.detectCanvases(copy()))); // warm-up, one per worker
  next = 0;
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
  const frames = batches * pool[0].count;
  return { frames, batches, batchSize: pool[0].count, seconds, fps: frames / seconds, meanBatchMs: batchMs / batches };
}

/** Several engine-only runs as one: frames and time added up, the mean batch time weighted by batches. */
export function combineEngineRuns(runs: readonly EngineFpsResult[]): EngineFpsResult {
  const frames = runs.reduce((n, r) => n + r.frames, 0);
  const batches = runs.reduce((n, r) => n + r.batches, 0);
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  const meanBatchMs = runs.reduce((n, r) => n + r.meanBatchMs * r.batches, 0) / batches;
  return { frames, batches, batchSize: runs[0].batchSize, seconds, fps: frames / seconds, meanBatchMs };
}
