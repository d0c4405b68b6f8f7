// Events per second over a sliding time window, kept in fixed time buckets (O(1) per mark,
// O(buckets) per read). Used for decode / inference / end-to-end fps per stream.

export interface RateMeterOptions {
  /** Length of the window in ms (default 5000). */
  windowMs?: number;
  /** Bucket size in ms (default 250); the window start moves in steps of one bucket. */
  bucketMs?: number;
  /** Clock in ms (default Date.now); tests pass a fake one. */
  now?: () => number;
}

export class RateMeter {
  readonly windowMs: number;
  private readonly bucketMs: number;
  private readonly now: () => number;
  private readonly counts: Float64Array;
  /** Which bucket index (time / bucketMs) each slot currently holds. */
  private readonly slotIndex: Float64Array;
  private readonly createdAt: number;

  constructor(opts: RateMeterOptions = {}) {
    this.bucketMs = opts.bucketMs ?? 250;
    this.windowMs = opts.windowMs ?? 5000;
    if (!(this.bucketMs > 0) || !(this.windowMs >= 2 * this.bucketMs)) {
      throw Object.assign(new Error(`RateMeter: windowMs ${this.windowMs} must be at least twice bucketMs ${this.bucketMs} (both > 0)`), {
        code: 'RS_ERR_METRICS_OPTIONS',
      });
    }
    this.now = opts.now ?? Date.now;
    const n = Math.ceil(this.windowMs / this.bucketMs);
    this.counts = new Float64Array(n);
    this.slotIndex = new Float64Array(n).fill(-1);
    this.createdAt = this.now();
  }

  mark(count = 1): void {
    const idx = Math.floor(this.now() / this.bucketMs);
    const slot = idx % this.counts.length;
    if (this.slotIndex[slot] !== idx) {
      this.slotIndex[slot] = idx;
      this.counts[slot] = 0;
    }
    this.counts[slot] += count;
  }

  /** Events per second over the window; a meter younger than the window divides by its age (at least 1 s). */
  rate(): number {
    const now = this.now();
    const idx = Math.floor(now / this.bucketMs);
    const n = this.counts.length;
    let sum = 0;
    for (let s = 0; s < n; s++) {
      if (this.slotIndex[s] > idx - n) sum += this.counts[s];
    }
    // The window holds n-1 whole buckets and the current, partial one.
    const windowSpan = (n - 1) * this.bucketMs + (now - idx * this.bucketMs);
    // A young meter divides by its age, but by at least one second so the first frames do not read as a spike.
    const span = Math.max(Math.min(windowSpan, now - this.createdAt), Math.min(1000, windowSpan));
    return span > 0 ? (sum * 1000) / span : 0;
  }
}
