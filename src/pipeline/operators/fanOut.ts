// Fan-out to sinks: the event stream is shared (one upstream subscription) and each consumer is an
// Observer with its own subscription, so a sink that throws or is slow to close never touches another
// sink or the pipeline. Errors of the stream reach every observer's `error` (they must not throw).
import { share, Subscription, type Observable, type Observer } from 'rxjs';
import type { PipelineEvent, Sink } from '../types.ts';

/** A sink as an Observer: write() for each event; a write that throws is swallowed (the sink counts it). */
export function sinkObserver(sink: Pick<Sink, 'write'>): Observer<PipelineEvent> {
  return {
    next: (e) => {
      try {
        sink.write(e);
      } catch {
        // a sink never throws into the pipeline
      }
    },
    error: () => {},
    complete: () => {},
  };
}

/** Subscribes every observer to one shared subscription of `source$`; unsubscribe the result to detach all. */
export function fanOut<T>(source$: Observable<T>, observers: Array<Partial<Observer<T>>>): Subscription {
  const shared$ = source$.pipe(share());
  const subscription = new Subscription();
  for (const o of observers) subscription.add(shared$.subscribe({ error: () => {}, ...o }));
  return subscription;
}
