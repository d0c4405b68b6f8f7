// Nearest-rank quantiles of a whole sample (the smallest value with at least q of the samples <= it),
// the same definition as the pipeline's sliding-window metrics.

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  count: number;
}

export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  if (n === 0) return { p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN, count: 0 };
  const at = (q: number) => sorted[Math.max(0, Math.ceil(q * n) - 1)];
  let sum = 0;
  for (const v of sorted) sum += v;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[n - 1], mean: sum / n, count: n };
}
