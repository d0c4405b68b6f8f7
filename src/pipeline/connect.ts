// The one place where a running pipeline meets its consumers: metrics (decoded frames, batches, every
// event, sink stats, worker stats) and the sinks, each an observer of the shared event stream.
// Used by `retinastream run`, `retinastream bench pipeline` and the library API.
import { identity, map, mergeMap, type Observer, type OperatorFunction, type Subscription } from 'rxjs';
import type { Metrics } from './metrics/metrics.ts';
import { fanOut, sinkObserver } from './operators/fanOut.ts';
import type { Pipeline } from './pipeline.ts';
import type { PipelineEvent, Sink } from './types.ts';

export interface ConnectOptions {
  sinks: Sink[];
  metrics?: Metrics;
  /** The batcher's limit, for the batch fill metric. */
  maxBatch: number;
  /** Watched for worker stats (tensors, deaths). */
  engine?: { stats?(): { tensors: number; workerDeaths: number } };
  /** More observers of the events (after the metrics and sinks), e.g. a benchmark's counters. */
  observers?: Array<Partial<Observer<PipelineEvent>>>;
  /** Applied to the events once, before the fan-out (the run's score threshold and class filter). */
  filter?: OperatorFunction<PipelineEvent, PipelineEvent>;
}

/** Subscribe metrics and sinks to the pipeline; unsubscribe the result to detach them (sinks are not closed). */
export function connectPipeline(pipeline: Pipeline, o: ConnectOptions): Subscription {
  const { metrics } = o;
  const observers: Array<Partial<Observer<PipelineEvent>>> = [];
  if (metrics) {
    for (const s of o.sinks) metrics.watchSink(s);
    if (o.engine) metrics.watchEngine(o.engine);
    observers.push({ next: (e) => metrics.observeEvent(e) });
  }
  observers.push(...o.sinks.map(sinkObserver), ...(o.observers ?? []));
  const subscription = fanOut(pipeline.events$.pipe(o.filter ?? identity), observers);
  if (metrics) {
    // sources$: also the streams added while the pipeline runs
    subscription.add(pipeline.sources$.pipe(mergeMap((s) => s.frameReady$.pipe(map(() => s.id)))).subscribe((id) => metrics.frameDecoded(id)));
    subscription.add(
      pipeline.results$.subscribe({
        next: (r) => {
          if (!r.error) metrics.batchInferred({ streamIds: r.batch.frames.map((f) => f.streamId), maxBatch: o.maxBatch, durationMs: r.inferMs });
        },
        error: () => {},
      }),
    );
  }
  return subscription;
}
