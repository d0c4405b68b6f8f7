import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatestFrameSlot, LosslessQueue } from '../../../src/pipeline/ingest/frameBuffer.ts';
import type { Frame } from '../../../src/pipeline/types.ts';

function frame(n: number): Frame {
  return {
    streamId: 's', frameNumber: n, pts: n / 25, captureTime: 0, sourceWidth: 4, sourceHeight: 2,
    data: new Uint8Array(4 * 2 * 3), width: 4, height: 2, contentWidth: 4, contentHeight: 2, droppedBefore: 0, lossless: true,
  };
}

test('LosslessQueue: FIFO, full at capacity, drops nothing', () => {
  const q = new LosslessQueue(2);
  assert.equal(q.put(frame(0)), 0);
  assert.equal(q.full, false);
  q.put(frame(1));
  assert.equal(q.full, true);
  assert.deepEqual([q.take()?.frameNumber, q.take()?.frameNumber, q.take()], [0, 1, undefined]);
  assert.equal(q.size, 0);
});

test('LatestFrameSlot: keeps the newest, counts displaced frames into the next taken one', () => {
  const s = new LatestFrameSlot();
  assert.equal(s.put(frame(0)), 0);
  assert.equal(s.put(frame(1)), 1);
  assert.equal(s.put(frame(2)), 1);
  const a = s.take()!;
  assert.deepEqual([a.frameNumber, a.droppedBefore], [2, 2]);
  assert.equal(s.take(), undefined);
  s.put(frame(3));
  const b = s.take()!;
  assert.deepEqual([b.frameNumber, b.droppedBefore], [3, 0]);
  assert.equal(s.full, false);
});
