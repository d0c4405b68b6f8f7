// Cross-stream batching (as DeepStream's nvstreammux): a batch closes at `maxBatch` frames or `maxWaitMs`
// after a frame became available, whichever comes first. Frames are taken round-robin across streams so
// that one fast stream cannot starve the others.
//
// Batches are pulled, not pushed. The operator's input is a stream of signals: 'frame' (some source has
// a frame to take, or changed state) and 'credit' (the inference stage can accept one more batch). It
// starts with `credits` (batches on the device(s) + one prepared). Lossless sources wait in their own
// bounded queues meanwhile (their ffmpeg is paused); live sources keep only their newest frame.
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Batch, Frame } from '../types.ts';

/** What the batcher needs of a stream: a small buffer of frames ready to take (see sourceBuffer.ts). */
export interface BatchSource {
  readonly id: string;
  take(): Frame | undefined;
  /** Frames ready to take now. */
  available(): number;
  /** False once the stream ended or failed and its buffer is the last it will give. */
  canProduceMore(): boolean;
}

export type BatcherSignal = 'frame' | 'credit';

export interface BatchFramesOptions {
  maxBatch: number;
  maxWaitMs: number;
  /** Batches the inference stage accepts before the first 'credit'. */
  credits: number;
  scheduler?: SchedulerLike;
}

/** Take up to `max` frames round-robin across sources, starting at source `start`. */
export function takeRoundRobin(sources: BatchSource[], max: number, start: number): { frames: Frame[]; next: number } {
  const frames: Frame[] = [];
  let idle = 0;
  let i = start;
  while (frames.length < max && sources.length > 0 && idle < sources.length) {
    const f = sources[i % sources.length].take();
    i = (i + 1) % sources.length;
    if (f) {
      frames.push(f);
      idle = 0;
    } else {
      idle++;
    }
  }
  return { frames, next: i };
}

/** Completes once every source is done and drained (after emitting the last partial batch). */
export function batchFrames(sources: () => BatchSource[], opts: BatchFramesOptions): OperatorFunction<BatcherSignal, Batch> {
  const scheduler = opts.scheduler ?? asyncScheduler;
  return (signals$) =>
    new Observable<Batch>((subscriber) => {
      let credits = opts.credits;
      let rr = 0;
      let timer: Subscription | null = null;
      const clearTimer = () => {
        timer?.unsubscribe();
        timer = null;
      };
      const ready = () => sources().reduce((n, s) => n + s.available(), 0);
      const allDone = () => sources().every((s) => !s.canProduceMore());

      const emit = () => {
        clearTimer();
        const { frames, next } = takeRoundRobin(sources(), opts.maxBatch, rr);
        rr = next;
        if (frames.length === 0) return;
        credits--;
        subscriber.next({ frames, formedAt: scheduler.now() });
      };

      // Taking a frame can make a paused source hand over its next frame synchronously, which signals
      // 'frame' and re-enters pump(): such calls run after the current one instead of nested in it.
      let pumping = false;
      let again = false;
      const pump = () => {
        if (pumping) return void (again = true);
        pumping = true;
        try {
          do {
            again = false;
            pumpOnce();
          } while (again);
        } finally {
          pumping = false;
        }
      };
      const pumpOnce = () => {
        while (credits > 0) {
          const n = ready();
          if (n >= opts.maxBatch || (n > 0 && allDone())) {
            emit();
            continue;
          }
          if (n > 0 && !timer) {
            timer = scheduler.schedule(() => {
              timer = null;
              if (credits > 0 && ready() > 0) emit();
              pump();
            }, opts.maxWaitMs);
          }
          break;
        }
        if (allDone() && ready() === 0) {
          clearTimer();
          subscriber.complete();
        }
      };

      const sub = signals$.subscribe({
        next: (s) => {
          if (s === 'credit') credits++;
          pump();
        },
        error: (e) => subscriber.error(e),
      });
      pump();
      return () => {
        clearTimer();
        sub.unsubscribe();
      };
    });
}
