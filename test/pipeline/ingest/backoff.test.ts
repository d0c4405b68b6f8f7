import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, DEFAULT_BACKOFF } from '../../../src/pipeline/ingest/backoff.ts';

test('backoffDelay doubles from initialMs up to maxMs without jitter', () => {
  const o = { initialMs: 500, maxMs: 30000, factor: 2, jitter: 0 };
  // 500 * 2^(k-1): 500, 1000, 2000, ... 16000, then capped at 30000.
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 20].map((k) => backoffDelay(k, o)), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
});

test('backoffDelay jitter stays within +-jitter of the base delay', () => {
  assert.equal(backoffDelay(1, DEFAULT_BACKOFF, () => 0), 400); // 500 * (1 - 0.2)
  assert.equal(backoffDelay(1, DEFAULT_BACKOFF, () => 0.5), 500);
  assert.equal(backoffDelay(3, DEFAULT_BACKOFF, () => 0.999999), 2400); // 2000 * 1.2, rounded
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(2, DEFAULT_BACKOFF);
    assert.ok(d >= 800 && d <= 1200, String(d));
  }
});
