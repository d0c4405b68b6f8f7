// The streaming pipeline, as a library: sources -> frames -> batches -> detections -> events.
//   createPipeline(...).events$ emits every DetectionEvent, StreamStatusEvent and FramesLostEvent;
//   sinks subscribe to it (connect.ts wires sinks and metrics).
// One ffmpeg per input; a dead input never disturbs the others (its source heals or fails on its own).
// The stages are operators: batchFrames -> orderedInference (live frames refreshed at dispatch).
import { filter, map, merge, mergeMap, Observable, share, Subject, takeUntil, type Subscription } from 'rxjs';
import { errorCode } from '../errors.ts';
import type { InferenceEngine } from '../model/engine.ts';
import { engineInfer } from './inferStage.ts';
import { createStreamSource, type SourceOptions, type StreamSource } from './ingest/index.ts';
import { batchFrames, type BatcherSignal } from './operators/batchFrames.ts';
import { refreshLiveFrames } from './operators/dropToNewest.ts';
import { orderedInference, type InferResult } from './operators/orderedInference.ts';
import { SourceBuffer } from './sourceBuffer.ts';
import type { PipelineEvent, PipelineInput, StreamStatusEvent } from './types.ts';

export type { PipelineInput };

export interface PipelineOptions {
  inputs: PipelineInput[];
  engine: InferenceEngine;
  /** Model input canvas every frame is scaled and padded to (multiples of the model's sizeDivisible). */
  canvas: { width: number; height: number };
  maxBatch: number;
  maxWaitMs: number;
  /** Defaults for every source (timeouts, backoff, realtime reading of live files...). */
  source?: Partial<Omit<SourceOptions, 'id' | 'url' | 'canvasWidth' | 'canvasHeight'>>;
}

export interface Pipeline {
  readonly events$: Observable<PipelineEvent>;
  /** Every batch once inferred (or failed), in batch order (metrics, benchmarks). */
  readonly results$: Observable<InferResult>;
  readonly sources: StreamSource[];
  /** Resolves when every input ended or failed and the last batch was emitted; rejects if the engine gave up. */
  readonly done: Promise<void>;
  start(): void;
  /** Stop the sources, finish in-flight batches, complete events$. */
  stop(): Promise<void>;
}

/** Model mean colour as bytes: padding that normalizes to ~0, like torchvision's zero padding. */
export function padColorFor(engine: Pick<InferenceEngine, 'config'>): [number, number, number] {
  const { mean, pixelRange, channelOrder } = engine.config.input;
  const rgb = channelOrder === 'BGR' ? [mean[2], mean[1], mean[0]] : mean;
  return rgb.map((m) => Math.round(pixelRange === 'unit' ? m * 255 : m)) as [number, number, number];
}

/** The engine gave up (its workers keep dying): this ends the run, it is not one failed batch. */
export const isEngineFailure = (e: unknown): boolean => errorCode(e) === 'RS_ERR_WORKERS_FAILED';

/** Mirrors `source$`, and errors with the engine's failure if the engine gives up first. */
function untilEngineFails<T>(engine: InferenceEngine): (source$: Observable<T>) => Observable<T> {
  return (source$) =>
    new Observable<T>((subscriber) => {
      let live = true;
      void engine.failed?.then((e) => live && subscriber.error(e));
      const sub = source$.subscribe(subscriber);
      return () => {
        live = false;
        sub.unsubscribe();
      };
    });
}

export function createPipeline(opts: PipelineOptions): Pipeline {
  const { engine } = opts;
  const sources = opts.inputs.map((input) =>
    createStreamSource({
      padColor: padColorFor(engine),
      losslessQueue: Math.max(2, opts.maxBatch),
      ...opts.source,
      ...input,
      canvasWidth: opts.canvas.width,
      canvasHeight: opts.canvas.height,
    }),
  );
  const buffers = sources.map((s) => new SourceBuffer(s, opts.maxBatch));
  const byId = new Map(buffers.map((b) => [b.id, b]));
  const stop$ = new Subject<void>();
  const credit$ = new Subject<BatcherSignal>();
  const kick$ = new Subject<void>();
  void Promise.all(sources.map((s) => s.done)).then(() => kick$.next());

  const status$: Observable<StreamStatusEvent> = merge(...sources.map((s) => s.status$));
  const frameSignals$ = merge(...sources.map((s) => s.frameReady$), status$, kick$).pipe(map((): BatcherSignal => 'frame'));
  const results$ = merge(frameSignals$, credit$).pipe(
    batchFrames(() => buffers, { maxBatch: opts.maxBatch, maxWaitMs: opts.maxWaitMs, credits: engine.concurrency + 1 }),
    orderedInference(engineInfer(engine), {
      concurrency: engine.concurrency,
      model: { name: engine.model.name, weightsHash: engine.model.hash },
      atDispatch: (b) => refreshLiveFrames(b, (id) => byId.get(id)?.take()),
      isFatal: isEngineFailure,
      onSettled: () => credit$.next('credit'),
    }),
    untilEngineFails(engine),
    share(),
  );

  const detections$ = results$.pipe(mergeMap((r) => r.events));
  const events$ = merge(status$.pipe(takeUntil(stop$)), detections$).pipe(share());
  let resolveDone!: () => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => ((resolveDone = res), (rejectDone = rej)));
  let keepAlive: Subscription | null = null;
  const stopSources = () => Promise.all(sources.map((s) => s.stop()));

  return {
    events$,
    results$,
    sources,
    done,
    start() {
      // the pipeline runs whether or not sinks are subscribed yet; completion resolves `done`
      keepAlive = events$.pipe(filter(() => false)).subscribe({
        complete: () => resolveDone(),
        // a fatal error: stop every ffmpeg, then report it
        error: (e) => void stopSources().finally(() => rejectDone(e)),
      });
      detections$.subscribe({ complete: () => stop$.next(), error: () => stop$.next() });
      sources.forEach((s) => s.start());
    },
    async stop() {
      await stopSources();
      kick$.next();
      await done.catch(() => undefined);
      keepAlive?.unsubscribe();
    },
  };
}
