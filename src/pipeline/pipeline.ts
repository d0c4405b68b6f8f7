// The streaming pipeline, as a library: sources -> frames -> batches -> detections -> events.
//   createPipeline(...).events$ emits every DetectionEvent and StreamStatusEvent; sinks subscribe to it.
// One ffmpeg per input; a dead input never disturbs the others (its source heals or fails on its own).
import { BehaviorSubject, filter, map, merge, mergeMap, Observable, share, Subject, takeUntil, type Subscription } from 'rxjs';
import type { InferenceEngine } from '../model/engine.ts';
import { batchAcross, refreshLiveFrames, type BatchSource } from './batcher.ts';
import { inferBatches, type InferResult } from './inferStage.ts';
import { createStreamSource, type SourceOptions, type StreamSource } from './ingest/index.ts';
import { SourceBuffer } from './sourceBuffer.ts';
import type { PipelineEvent, StreamStatusEvent } from './types.ts';

export interface PipelineInput {
  id: string;
  url: string;
  live?: boolean;
  rtspTransport?: 'tcp' | 'udp';
}

export interface PipelineOptions {
  inputs: PipelineInput[];
  engine: InferenceEngine;
  /** Model input canvas every frame is scaled and padded to (multiples of the model's sizeDivisible). */
  canvas: { width: number; height: number };
  maxBatch: number;
  maxWaitMs: number;
  /** Defaults for every source (timeouts, backoff, realtime reading of live files...). */
  source?: Partial<Omit<SourceOptions, 'id' | 'url' | 'canvasWidth' | 'canvasHeight'>>;
  /** Called after every batch (metrics). */
  onBatch?: (r: InferResult) => void;
}

export interface Pipeline {
  readonly events$: Observable<PipelineEvent>;
  readonly sources: StreamSource[];
  /** Resolves when every input ended or failed and the last batch was emitted. */
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

export function createPipeline(opts: PipelineOptions): Pipeline {
  const sources = opts.inputs.map((input) =>
    createStreamSource({
      padColor: padColorFor(opts.engine),
      losslessQueue: Math.max(2, opts.maxBatch),
      ...opts.source,
      ...input,
      canvasWidth: opts.canvas.width,
      canvasHeight: opts.canvas.height,
    }),
  );
  const buffers: BatchSource[] = sources.map((s) => new SourceBuffer(s, opts.maxBatch));
  const byId = new Map(buffers.map((b) => [b.id, b]));
  const demand$ = new BehaviorSubject<number>(opts.engine.concurrency + 1); // batches on the device(s) + one prepared
  const stop$ = new Subject<void>();
  let ended = 0;
  const sourcesDone = Promise.all(sources.map((s) => s.done.then(() => ended++)));
  const kick$ = new Subject<void>();
  sourcesDone.then(() => kick$.next());

  const status$: Observable<StreamStatusEvent> = merge(...sources.map((s) => s.status$));
  const results$ = batchAcross(
    {
      frameReady$: merge(...sources.map((s, i) => s.frameReady$.pipe(map(() => buffers[i]))), status$.pipe(map(() => buffers[0])), kick$.pipe(map(() => buffers[0]))),
      sources: () => buffers,
      allDone: () => ended === sources.length,
      demand$,
    },
    { maxBatch: opts.maxBatch, maxWaitMs: opts.maxWaitMs },
  ).pipe(
    inferBatches(
      opts.engine,
      (r) => {
        opts.onBatch?.(r);
        demand$.next(1);
      },
      (b) => refreshLiveFrames(b, byId),
    ),
    share(),
  );

  const detections$ = results$.pipe(mergeMap((r) => r.events));
  const events$ = merge(status$.pipe(takeUntil(stop$)), detections$).pipe(share());
  let resolveDone!: () => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => ((resolveDone = res), (rejectDone = rej)));
  let keepAlive: Subscription | null = null;

  return {
    events$,
    sources,
    done,
    start() {
      // the pipeline runs whether or not sinks are subscribed yet; completion resolves `done`
      keepAlive = events$.pipe(filter(() => false)).subscribe({ complete: () => resolveDone(), error: (e) => rejectDone(e) });
      detections$.subscribe({ complete: () => stop$.next() });
      sources.forEach((s) => s.start());
    },
    async stop() {
      await Promise.all(sources.map((s) => s.stop()));
      kick$.next();
      await done.catch(() => undefined);
      keepAlive?.unsubscribe();
    },
  };
}
