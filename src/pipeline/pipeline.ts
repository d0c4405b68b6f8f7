// The streaming pipeline, as a library: sources -> frames -> batches -> detections -> events.
//   createPipeline(...).events$ emits every DetectionEvent, StreamStatusEvent and FramesLostEvent;
//   sinks subscribe to it (connect.ts wires sinks and metrics).
// One ffmpeg per input; a dead input never disturbs the others (its source heals or fails on its own).
// The stages are operators: batchFrames -> orderedInference (live frames refreshed at dispatch).
// Streams can be added and removed while it runs (addInput/removeInput): the others are not disturbed.
import { defer, filter, from, map, merge, mergeMap, Observable, share, Subject, takeUntil, type Subscription } from 'rxjs';
import { errorCode, RetinaStreamError } from '../errors.ts';
import type { InferenceEngine } from '../model/engine.ts';
import { engineInfer } from './inferStage.ts';
import { createStreamSource, type SourceOptions, type StreamSource } from './ingest/index.ts';
import { autoDecodeThreads } from './ingest/sourceOptions.ts';
import { batchFrames, type BatchSource, type BatcherSignal } from './operators/batchFrames.ts';
import { refreshLiveFrames } from './operators/dropToNewest.ts';
import { orderedInference, type InferResult } from './operators/orderedInference.ts';
import { SourceBuffer } from './sourceBuffer.ts';
import type { PipelineEvent, PipelineInput, StreamStatusEvent } from './types.ts';

export type { PipelineInput };

/** An input with per-source options (e.g. `inputArgs` for a looped file), as createPipeline's `inputs` take them. */
export type PipelineInputWithOptions = PipelineInput & Partial<Omit<SourceOptions, 'id' | 'url' | 'canvasWidth' | 'canvasHeight'>>;

export interface PipelineOptions {
  inputs: PipelineInput[];
  engine: InferenceEngine;
  /** Model input canvas every frame is scaled and padded to (multiples of the model's sizeDivisible). */
  canvas: { width: number; height: number };
  maxBatch: number;
  maxWaitMs: number;
  /** Defaults for every source (timeouts, backoff, realtime reading of live files...). */
  source?: Partial<Omit<SourceOptions, 'id' | 'url' | 'canvasWidth' | 'canvasHeight'>>;
  /**
   * Keep running with no input, until stop() (a cluster worker whose streams come and go). Without it the
   * pipeline ends once every input ended, failed or was removed.
   */
  open?: boolean;
}

export interface Pipeline {
  readonly events$: Observable<PipelineEvent>;
  /** Every batch once inferred (or failed), in batch order (metrics, benchmarks). */
  readonly results$: Observable<InferResult>;
  /** The sources running now (a live view: addInput/removeInput change it). */
  readonly sources: readonly StreamSource[];
  /** Every source: the current ones on subscription, then each one added later. */
  readonly sources$: Observable<StreamSource>;
  /** Resolves when every input ended or failed and the last batch was emitted; rejects if the engine gave up. */
  readonly done: Promise<void>;
  start(): void;
  /** Stop the sources, finish in-flight batches, complete events$. */
  stop(): Promise<void>;
  /** Start one more stream (at once if the pipeline runs); the others are not disturbed. Throws on a used id or after stop(). */
  addInput(input: PipelineInputWithOptions): StreamSource;
  /**
   * Stop one stream: its ffmpeg and its frames not yet batched (its batches in flight still emit their events).
   * Its last status event is 'ended' with `reason`. False when no such stream runs.
   */
  removeInput(id: string, reason?: string): Promise<boolean>;
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

export class PipelineInputError extends RetinaStreamError<'RS_ERR_PIPELINE_INPUT'> {
  constructor(message: string) {
    super('RS_ERR_PIPELINE_INPUT', message);
  }
}

export function createPipeline(opts: PipelineOptions): Pipeline {
  const { engine } = opts;
  const sources: StreamSource[] = [];
  const buffers: BatchSource[] = [];
  const byId = new Map<string, SourceBuffer>();
  const added$ = new Subject<StreamSource>();
  let started = false;
  let stopped = false;
  // An open pipeline holds one batch source that never has a frame and is not done until stop(), so the
  // batcher does not complete while the worker has no stream.
  let holding = opts.open === true;
  if (holding) buffers.push({ id: '', take: () => undefined, available: () => 0, canProduceMore: () => holding });
  const kick$ = new Subject<void>();

  const addInput = (input: PipelineInputWithOptions): StreamSource => {
    if (stopped) throw new PipelineInputError(`stream ${input.id}: the pipeline is stopped`);
    if (byId.has(input.id)) throw new PipelineInputError(`stream ${input.id}: already running (stream ids must be unique)`);
    const s = createStreamSource({
      padColor: padColorFor(engine),
      losslessQueue: Math.max(2, opts.maxBatch),
      ...opts.source,
      ...input,
      // unless given: by the number of streams (ffmpeg's decoders share the cores with inference)
      decodeThreads: input.decodeThreads ?? opts.source?.decodeThreads ?? autoDecodeThreads(Math.max(opts.inputs.length, sources.length + 1)),
      canvasWidth: opts.canvas.width,
      canvasHeight: opts.canvas.height,
    });
    const b = new SourceBuffer(s, opts.maxBatch);
    sources.push(s);
    buffers.splice(holding ? buffers.length - 1 : buffers.length, 0, b);
    byId.set(s.id, b);
    void s.done.then(() => kick$.next());
    added$.next(s);
    if (started) s.start();
    return s;
  };
  const removeInput = async (id: string, reason = 'removed'): Promise<boolean> => {
    const b = byId.get(id);
    if (!b) return false;
    byId.delete(id);
    sources.splice(sources.indexOf(b.source), 1);
    buffers.splice(buffers.indexOf(b), 1);
    await b.source.stop(reason);
    kick$.next();
    return true;
  };
  for (const input of opts.inputs) addInput(input);

  const sources$: Observable<StreamSource> = defer(() => merge(from([...sources]), added$));
  const stop$ = new Subject<void>();
  const credit$ = new Subject<BatcherSignal>();

  const status$: Observable<StreamStatusEvent> = sources$.pipe(mergeMap((s) => s.status$));
  const frameSignals$ = merge(sources$.pipe(mergeMap((s) => s.frameReady$)), status$, kick$).pipe(map((): BatcherSignal => 'frame'));
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
  const stopSources = () => Promise.all([...sources].map((s) => s.stop()));

  return {
    events$,
    results$,
    sources,
    sources$,
    done,
    addInput,
    removeInput,
    start() {
      started = true;
      // the pipeline runs whether or not sinks are subscribed yet; completion resolves `done`
      keepAlive = events$.pipe(filter(() => false)).subscribe({
        complete: () => resolveDone(),
        // a fatal error: stop every ffmpeg, then report it
        error: (e) => void stopSources().finally(() => rejectDone(e)),
      });
      const over = () => {
        stopped = true;
        stop$.next();
        added$.complete();
      };
      detections$.subscribe({ complete: over, error: over });
      sources.forEach((s) => s.start());
    },
    async stop() {
      stopped = true;
      holding = false;
      await stopSources();
      kick$.next();
      await done.catch(() => undefined);
      keepAlive?.unsubscribe();
    },
  };
}
