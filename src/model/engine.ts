// An inference engine runs batches of canvases through one model, in this thread or in worker threads.
// The streaming pipeline uses worker threads by default: a forward pass on the CPU backends is synchronous
// and would otherwise block the event loop (ffmpeg pipes, WebSocket pings, Kafka) for its whole duration;
// and wasm runs single-threaded, so one worker per core is also how a second core gets used.
import { availableParallelism } from 'node:os';
import type { Precision } from '../backend/precision.ts';
import { describeBackend, selectBackend } from '../backend/select.ts';
import { DEFAULT_INFERENCE_NICE, lowerAllButEventLoop } from '../backend/threadPriority.ts';
import type { ModelConfig } from './config.ts';
import { createDetector, type CanvasBatch, type Detection, type Detector } from './detector.ts';
import { loadModelDir } from './modelDir.ts';
import { DetectorPool, type PoolOptions } from './workers/detectorPool.ts';

export interface InferenceEngine {
  readonly model: { name: string; hash: string };
  readonly config: ModelConfig;
  /** e.g. "wasm (SIMD) x2 worker threads". */
  readonly description: string;
  /** Batches it can run at once (worker threads; 1 in-thread). */
  readonly concurrency: number;
  detectCanvases(b: CanvasBatch): Promise<Detection[][]>;
  close(): Promise<void>;
  /** Worker threads: resolves with the error when the workers keep dying and the engine gave up. */
  readonly failed?: Promise<Error>;
  /** Worker threads: tensors held by the workers and worker deaths so far (for metrics). */
  stats?(): { tensors: number; workerDeaths: number };
}

export interface EngineOptions {
  modelDir: string;
  backend?: string;
  /**
   * Worker threads; 0 runs in this thread. Default: one per core (wasm/cpu run single-threaded; on TensorFlow's
   * CPU backend two workers sharing TensorFlow's thread pools measured 7% faster than one: one overlaps its pre-
   * and post-processing with the other's forward pass), one on a GPU.
   */
  workers?: number;
  /** 'fp32' (default) or 'bf16'. */
  precision?: Precision;
  postprocess?: Partial<ModelConfig['postprocess']>;
  /**
   * Worker threads: the nice value of the inference threads, below the event loop's (0-19, default 10; 0 keeps
   * them equal). Linux; see backend/threadPriority.ts.
   */
  inferenceNice?: number;
  /** Worker supervision: give up after maxDeaths worker deaths within deathWindowMs (default 3 in 60 s). */
  supervision?: Pick<PoolOptions, 'maxDeaths' | 'deathWindowMs' | 'onWorkerDeath'>;
}

/** Wrap an in-thread detector as an engine. */
export function inThreadEngine(d: Detector): InferenceEngine {
  return {
    model: { name: d.model.name, hash: d.model.hash },
    config: d.config,
    description: `${describeBackend(d.backend)} in the main thread`,
    concurrency: 1,
    detectCanvases: (b) => d.detectCanvases(b),
    close: async () => d.dispose(),
  };
}

export async function createEngine(o: EngineOptions): Promise<InferenceEngine> {
  const backend = await selectBackend(o.backend, { precision: o.precision });
  const workers = o.workers ?? (backend.native?.usingGpu ? 1 : availableParallelism());
  if (workers === 0) return inThreadEngine(await createDetector({ model: o.modelDir, backend: o.backend, precision: o.precision, postprocess: o.postprocess }));
  const loaded = await loadModelDir(o.modelDir); // config and hash for events; the workers load their own copy
  const nice = o.inferenceNice ?? DEFAULT_INFERENCE_NICE;
  const pool = await DetectorPool.create(o.modelDir, workers, {
    backend: backend.name,
    precision: backend.precision,
    postprocess: o.postprocess as Record<string, number> | undefined,
    expectedHash: loaded.hash,
    nice,
    ...o.supervision,
  });
  // the workers lowered themselves; TensorFlow's compute pools, which the main thread started when it loaded
  // TensorFlow and which run the workers' forward passes, are lowered here
  lowerAllButEventLoop(nice);
  return poolEngine(pool, loaded.config, loaded.hash, o.postprocess, describeBackend(backend));
}

/** Wrap a supervised worker pool as an engine. */
export function poolEngine(pool: DetectorPool, config: ModelConfig, hash: string, postprocess: EngineOptions['postprocess'], backend: string): InferenceEngine {
  const workers = pool.size;
  return {
    model: { name: config.name, hash },
    config: { ...config, postprocess: { ...config.postprocess, ...postprocess } },
    description: `${backend} x${workers} worker thread${workers > 1 ? 's' : ''}`,
    concurrency: workers,
    detectCanvases: (b) => pool.detectCanvases(b),
    close: () => pool.close(),
    failed: pool.failed,
    stats: () => ({ tensors: pool.tensors(), workerDeaths: pool.deathsTotal() }),
  };
}
