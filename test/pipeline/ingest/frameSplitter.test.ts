import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameSplitter } from '../../../src/pipeline/ingest/frameSplitter.ts';

test('FrameSplitter: any chunking yields the same exact frames as slicing the whole stream', () => {
  const frameBytes = 37;
  const total = Buffer.from(Array.from({ length: frameBytes * 20 + 11 }, (_, i) => (i * 31) % 256));
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let round = 0; round < 20; round++) {
    const frames: Buffer[] = [];
    const s = new FrameSplitter(frameBytes, (f) => frames.push(f));
    for (let off = 0; off < total.length; ) {
      const n = Math.max(1, Math.floor(rand() * frameBytes * 3));
      s.push(total.subarray(off, off + n));
      off += n;
    }
    assert.equal(frames.length, 20);
    frames.forEach((f, k) => assert.deepEqual(f, total.subarray(k * frameBytes, (k + 1) * frameBytes)));
    assert.equal(s.partialBytes, 11);
  }
});

test('FrameSplitter: frames do not alias the input chunks', () => {
  const frames: Buffer[] = [];
  const s = new FrameSplitter(4, (f) => frames.push(f));
  const chunk = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
  s.push(chunk);
  chunk.fill(0);
  assert.deepEqual(frames.map((f) => [...f]), [[1, 2, 3, 4], [5, 6, 7, 8]]);
  assert.throws(() => new FrameSplitter(0, () => {}), RangeError);
});
