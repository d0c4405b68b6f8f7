// Cross-stream batching (as DeepStream's nvstreammux): a batch closes at `maxBatch` frames or `maxWaitMs`
// after its first frame became available, whichever comes first. Frames are taken round-robin across
// streams so that one fast stream cannot starve the others.
//
// Batches are pulled, not pushed: `demand` says how many batches the inference stage can accept
// (one on the device + one prepared). Lossless sources simply wait in their own bounded queues meanwhile
// (their ffmpeg is paused); live sources keep only their newest frame. A prepared batch is refreshed
// at dispatch time: a live frame in it is swapped for a newer one of the same stream if one arrived
// (the older one counted as dropped), so waiting for the device does not age live frames.
import { Observable, type Subscription } from 'rxjs';
import type { Batch, Frame } from './types.ts';

/** What the batcher needs of a stream: a small buffer of frames ready to take (see frameBuffer.ts). */
export interface BatchSource {
  readonly id: string;
  take(): Frame | undefined;
  /** Frames ready to take now. */
  available(): number;
  /** False once the stream ended or failed and its buffer is the last it will give. */
  canProduceMore(): boolean;
}

export interface BatcherOptions {
  maxBatch: number;
  maxWaitMs: number;
}

export interface BatchSignals {
  /** A source has a frame to take (its frameReady$). */
  frameReady$: Observable<BatchSource>;
  /** The current sources. */
  sources: () => BatchSource[];
  /** True once no source can produce frames any more (the batcher then drains and completes). */
  allDone: () => boolean;
  /** Emits when the inference stage can take one more batch. */
  demand$: Observable<number>;
}

/** Take up to `max` frames round-robin across sources, starting after the last source served. */
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

/** Swap live frames for newer ones that arrived while the batch waited for the device. */
export function refreshLiveFrames(batch: Batch, byId: Map<string, BatchSource>): Batch {
  const frames = batch.frames.map((f) => {
    if (f.lossless) return f;
    const newer = byId.get(f.streamId)?.take();
    return newer ? { ...newer, droppedBefore: newer.droppedBefore + f.droppedBefore + 1 } : f;
  });
  return { ...batch, frames };
}

export function batchAcross(signals: BatchSignals, opts: BatcherOptions, now: () => number = Date.now): Observable<Batch> {
  return new Observable<Batch>((subscriber) => {
    let credits = 0;
    let rr = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const subs: Subscription[] = [];

    const available = () => signals.sources().some((s) => s.available() > 0);

    const emit = () => {
      if (timer) clearTimeout(timer);
      timer = null;
      const { frames, next } = takeRoundRobin(signals.sources(), opts.maxBatch, rr);
      rr = next;
      if (frames.length === 0) return;
      credits--;
      subscriber.next({ frames, formedAt: now() });
    };

    // Taking a frame can make a paused source hand over its next frame synchronously, which signals
    // frameReady$ and re-enters pump(): run such calls after the current one instead of nested in it.
    let pumping = false;
    let again = false;
    const pump = () => {
      if (pumping) {
        again = true;
        return;
      }
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
        const srcs = signals.sources();
        const ready = srcs.reduce((n, s) => n + s.available(), 0);
        if (ready >= opts.maxBatch || (ready > 0 && srcs.every((s) => !s.canProduceMore()))) {
          emit();
          continue;
        }
        if (ready > 0 && !timer) timer = setTimeout(() => ((timer = null), credits > 0 && available() && emit(), pump()), opts.maxWaitMs);
        break;
      }
      if (signals.allDone() && !available()) {
        if (timer) clearTimeout(timer);
        subscriber.complete();
      }
    };

    subs.push(signals.frameReady$.subscribe({ next: pump, error: (e) => subscriber.error(e) }));
    subs.push(
      signals.demand$.subscribe((n) => {
        credits += n;
        pump();
      }),
    );
    pump();
    return () => {
      if (timer) clearTimeout(timer);
      subs.forEach((s) => s.unsubscribe());
    };
  });
}
