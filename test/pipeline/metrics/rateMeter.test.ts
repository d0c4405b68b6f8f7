import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateMeter } from '../../../src/pipeline/metrics/rateMeter.ts';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('steady 25 fps reads 25 within one frame per window', () => {
  const c = clock();
  const m = new RateMeter({ windowMs: 5000, bucketMs: 250, now: c.now });
  for (let i = 0; i < 250; i++) {
    // 10 s at one frame every 40 ms
    m.mark();
    c.advance(40);
  }
  // The window spans 5 s; counting is off by at most one frame at each edge: 1/5 s = 0.2 fps.
  assert.ok(Math.abs(m.rate() - 25) <= 0.4, `rate ${m.rate()}`);
});

test('a young meter divides by its age but at least one second; the rate falls to 0 after the window passes', () => {
  const c = clock();
  const m = new RateMeter({ windowMs: 5000, bucketMs: 250, now: c.now });
  m.mark(10);
  c.advance(100);
  assert.equal(m.rate(), 10, '10 events in the first 100 ms read as 10/s, not 100/s');
  c.advance(1900);
  assert.equal(m.rate(), 5, '10 events over 2 s');
  c.advance(5000);
  assert.equal(m.rate(), 0);
});

test('a bucket slot reused one window later starts from zero', () => {
  const c = clock(0);
  const m = new RateMeter({ windowMs: 1000, bucketMs: 100, now: c.now });
  m.mark(1000); // t = 0: bucket 0 in slot 0
  c.advance(1000);
  m.mark(1); // t = 1000: bucket 10, also slot 0
  c.advance(50);
  // Window at t = 1050: 9 whole buckets + 50 ms = 950 ms holding 1 event (the 1000 are out of it).
  assert.equal(m.rate(), 1000 / 950);
});

test('bad options fail with a code', () => {
  assert.throws(() => new RateMeter({ windowMs: 100, bucketMs: 100 }), { code: 'RS_ERR_METRICS_OPTIONS' });
});
