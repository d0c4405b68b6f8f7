import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlidingQuantiles } from '../../../src/pipeline/metrics/slidingQuantiles.ts';

/** Nearest-rank quantile, written the obvious way. */
function reference(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length); // 1-based
  return sorted[Math.max(1, rank) - 1];
}

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test('empty window has no quantiles', () => {
  assert.equal(new SlidingQuantiles(8).quantiles(), null);
});

test('1..100: p50 = 50, p95 = 95, p99 = 99 (nearest rank)', () => {
  const w = new SlidingQuantiles(100);
  for (let i = 100; i >= 1; i--) w.add(i);
  assert.deepEqual(w.quantiles(), { p50: 50, p95: 95, p99: 99, count: 100 });
});

test('matches a sort-based reference over the last N samples only', () => {
  const rnd = lcg(7);
  const w = new SlidingQuantiles(500);
  const all: number[] = [];
  for (let i = 0; i < 1700; i++) {
    const v = Math.round(rnd() * 1000 * (i < 1000 ? 10 : 1)); // the first 1000 are much larger: they must be forgotten
    all.push(v);
    w.add(v);
  }
  const last = all.slice(-500);
  const q = w.quantiles()!;
  assert.equal(q.count, 500);
  assert.equal(q.p50, reference(last, 0.5));
  assert.equal(q.p95, reference(last, 0.95));
  assert.equal(q.p99, reference(last, 0.99));
  assert.ok(q.p99 <= 1000);
});

test('non-finite samples are ignored', () => {
  const w = new SlidingQuantiles(4);
  w.add(NaN);
  w.add(Infinity);
  w.add(3);
  assert.deepEqual(w.quantiles(), { p50: 3, p95: 3, p99: 3, count: 1 });
});
