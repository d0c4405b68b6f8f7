// The cross-stream batcher: closes at maxBatch or maxWaitMs, takes round-robin, respects demand,
// completes when every source is done, and refreshes live frames at dispatch.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Subject, BehaviorSubject, firstValueFrom, toArray } from 'rxjs';
import { batchAcross, refreshLiveFrames, takeRoundRobin, type BatchSource } from '../../src/pipeline/batcher.ts';
import type { Batch, Frame } from '../../src/pipeline/types.ts';

function frame(streamId: string, n: number, lossless = true): Frame {
  return { streamId, frameNumber: n, pts: n / 10, captureTime: 0, sourceWidth: 4, sourceHeight: 4, data: new Uint8Array(0), width: 4, height: 4, contentWidth: 4, contentHeight: 4, droppedBefore: 0, lossless };
}

/** A queue of frames standing in for a stream's buffer (the batcher's only view of a source). */
class Queue implements BatchSource {
  frames: Frame[] = [];
  done = false;
  constructor(readonly id: string) {}
  push(...f: Frame[]) {
    this.frames.push(...f);
  }
  take() {
    return this.frames.shift();
  }
  available() {
    return this.frames.length;
  }
  canProduceMore() {
    return !this.done;
  }
}

describe('batcher', () => {
  it('takes round-robin across streams', () => {
    const a = new Queue('a');
    const b = new Queue('b');
    a.push(frame('a', 0), frame('a', 1), frame('a', 2));
    b.push(frame('b', 0));
    const { frames } = takeRoundRobin([a, b], 3, 0);
    assert.deepEqual(frames.map((f) => `${f.streamId}${f.frameNumber}`), ['a0', 'b0', 'a1']);
  });

  it('closes a batch at maxBatch at once, and a partial one after maxWaitMs', async () => {
    const a = new Queue('a');
    const ready$ = new Subject<BatchSource>();
    const demand$ = new BehaviorSubject(10);
    const batches: Batch[] = [];
    const times: number[] = [];
    const start = Date.now();
    const sub = batchAcross({ frameReady$: ready$, sources: () => [a], allDone: () => a.done, demand$ }, { maxBatch: 3, maxWaitMs: 80 }).subscribe((b) => {
      batches.push(b);
      times.push(Date.now() - start);
    });
    a.push(frame('a', 0), frame('a', 1), frame('a', 2), frame('a', 3));
    ready$.next(a);
    assert.equal(batches.length, 1, 'a full batch closes synchronously');
    assert.equal(batches[0].frames.length, 3);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(batches.length, 2);
    assert.equal(batches[1].frames.length, 1);
    assert.ok(times[1] >= 70, `partial batch after ~maxWaitMs, got ${times[1]} ms`);
    sub.unsubscribe();
  });

  it('forms no more batches than demanded', () => {
    const a = new Queue('a');
    const ready$ = new Subject<BatchSource>();
    const demand$ = new Subject<number>();
    const batches: Batch[] = [];
    const sub = batchAcross({ frameReady$: ready$, sources: () => [a], allDone: () => false, demand$ }, { maxBatch: 2, maxWaitMs: 1000 }).subscribe((b) => batches.push(b));
    a.push(...[0, 1, 2, 3, 4, 5].map((n) => frame('a', n)));
    ready$.next(a);
    assert.equal(batches.length, 0);
    demand$.next(2);
    assert.equal(batches.length, 2);
    demand$.next(1);
    assert.deepEqual(batches.map((b) => b.frames.map((f) => f.frameNumber)), [[0, 1], [2, 3], [4, 5]]);
    sub.unsubscribe();
  });

  it('drains the last partial batch and completes when every source is done', async () => {
    const a = new Queue('a');
    const b = new Queue('b');
    const ready$ = new Subject<BatchSource>();
    const done = batchAcross({ frameReady$: ready$, sources: () => [a, b], allDone: () => a.done && b.done, demand$: new BehaviorSubject(5) }, { maxBatch: 4, maxWaitMs: 10_000 });
    const all = firstValueFrom(done.pipe(toArray()));
    a.push(frame('a', 0));
    b.push(frame('b', 0), frame('b', 1));
    a.done = b.done = true;
    ready$.next(a);
    const batches = await all;
    assert.deepEqual(batches.map((x) => x.frames.length), [3]);
  });

  it('swaps a live frame for a newer one at dispatch and counts the older as dropped', () => {
    const live = new Queue('cam');
    const batch: Batch = { frames: [frame('cam', 5, false), frame('file', 1, true)], formedAt: 0 };
    live.push({ ...frame('cam', 9, false), droppedBefore: 3 });
    const refreshed = refreshLiveFrames(batch, new Map([['cam', live]]));
    assert.equal(refreshed.frames[0].frameNumber, 9);
    assert.equal(refreshed.frames[0].droppedBefore, 4, '3 dropped before frame 9, plus frame 5 itself');
    assert.equal(refreshed.frames[1].frameNumber, 1, 'lossless frames are never swapped');
  });
});
