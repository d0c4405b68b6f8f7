// Ordered inference: batches in, results out, up to `concurrency` batches on the device(s) at once,
// results in batch order (so each stream's events stay in frame order).
//
// A batch that fails (its worker died, the forward pass threw) becomes a result whose events are one
// FramesLostEvent per stream in it: it is reported and the stream goes on. Only a fatal error (the
// engine gave up: `isFatal`) ends the stream, as an error notification.
import { asapScheduler, asyncScheduler, catchError, defer, from, map, mergeMap, Observable, of, throwError, type ObservableInput, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { detectionEvent, framesLostEvents, type ModelInfo } from '../events.ts';
import type { Batch, Detection, DetectionEvent, FramesLostEvent } from '../types.ts';

export interface InferResult {
  batch: Batch;
  /** One detections event per frame, or (failed batch) one error event per stream. */
  events: Array<DetectionEvent | FramesLostEvent>;
  /** Wall time of the forward pass and post-processing (ms), by the scheduler's clock. */
  inferMs: number;
  /** Why the batch failed (its frames are in the error events). */
  error?: Error;
}

export interface OrderedInferenceOptions {
  /** Batches in flight at once (the engine's worker threads). */
  concurrency: number;
  model: ModelInfo;
  /** Applied when the batch goes onto the device (e.g. refreshLiveFrames). */
  atDispatch?: (b: Batch) => Batch;
  /** Errors that end the stream instead of failing one batch (default: none). */
  isFatal?: (e: unknown) => boolean;
  /**
   * Each result as its batch settles, in completion order, before reordering (returns a batch credit).
   * Called once the slot it freed has taken the next waiting batch (asap, after the current task): a
   * batch formed on this signal cannot take the live frames the waiting batch refreshes at dispatch.
   */
  onSettled?: (r: InferResult) => void;
  scheduler?: SchedulerLike;
}

export function orderedInference(infer: (b: Batch) => ObservableInput<Detection[][]>, opts: OrderedInferenceOptions): OperatorFunction<Batch, InferResult> {
  const scheduler = opts.scheduler ?? asyncScheduler;
  const atDispatch = opts.atDispatch ?? ((b: Batch) => b);
  const isFatal = opts.isFatal ?? (() => false);

  const run = (queued: Batch): Observable<InferResult> =>
    defer(() => {
      const batch = atDispatch(queued);
      const start = scheduler.now();
      return from(infer(batch)).pipe(
        map((dets): InferResult => {
          const now = scheduler.now();
          return { batch, events: batch.frames.map((f, i) => detectionEvent(f, dets[i], opts.model, now)), inferMs: now - start };
        }),
        catchError((e: unknown) => {
          if (isFatal(e)) return throwError(() => e);
          const error = e instanceof Error ? e : new Error(String(e));
          const now = scheduler.now();
          return of({ batch, events: framesLostEvents(batch.frames, error, now), inferMs: now - start, error });
        }),
      );
    });

  return (batches$) =>
    new Observable<InferResult>((subscriber) => {
      let nextOut = 0;
      const ready = new Map<number, InferResult>();
      return batches$.pipe(mergeMap((batch, seq) => run(batch).pipe(map((r) => [seq, r] as const)), opts.concurrency)).subscribe({
        next: ([seq, r]) => {
          const settled = opts.onSettled;
          if (settled) asapScheduler.schedule(() => settled(r));
          ready.set(seq, r);
          while (ready.has(nextOut)) {
            const out = ready.get(nextOut)!;
            ready.delete(nextOut++);
            subscriber.next(out);
          }
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}
