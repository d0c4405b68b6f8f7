// Exact quantiles over the most recent N samples (a ring buffer sorted on read).
// N is small (default 1024), so a read costs a copy and a sort of at most N numbers:
// fine for a status line once a second and for /metrics scrapes.

export interface Quantiles {
  p50: number;
  p95: number;
  p99: number;
  /** Samples the quantiles were computed from (at most the window size). */
  count: number;
}

export class SlidingQuantiles {
  private readonly values: Float64Array;
  private next = 0;
  private size = 0;

  constructor(readonly capacity = 1024) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw Object.assign(new Error(`SlidingQuantiles: capacity ${capacity} must be an integer >= 1`), { code: 'RS_ERR_METRICS_OPTIONS' });
    }
    this.values = new Float64Array(capacity);
  }

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  get count(): number {
    return this.size;
  }

  /** Nearest-rank quantiles (the smallest sample with at least q of the samples <= it); null when empty. */
  quantiles(): Quantiles | null {
    if (this.size === 0) return null;
    const sorted = this.values.slice(0, this.size).sort();
    const at = (q: number) => sorted[Math.max(0, Math.ceil(q * this.size) - 1)];
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99), count: this.size };
  }
}
