// The cross-stream batcher as an operator, pinned with marble tests (virtual time: no sleeps):
// closes at maxBatch at once and a partial batch maxWaitMs after a frame became available, takes
// round-robin, forms no more batches than it has credits, drains and completes when the sources are done.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { map, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { batchFrames, takeRoundRobin, type BatcherSignal, type BatchSource } from '../../../src/pipeline/operators/batchFrames.ts';
import type { Batch, Frame } from '../../../src/pipeline/types.ts';
import { frame } from './helpers.ts';

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

const testScheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
/** "a0 a1 | b0" for a batch's frames. */
const names = (b: Batch) => b.frames.map((f) => `${f.streamId}${f.frameNumber}`).join(' ');

describe('batchFrames', () => {
  it('takes round-robin across streams', () => {
    const a = new Queue('a');
    const b = new Queue('b');
    a.push(frame('a', 0), frame('a', 1), frame('a', 2));
    b.push(frame('b', 0));
    const { frames } = takeRoundRobin([a, b], 3, 0);
    assert.deepEqual(frames.map((f) => `${f.streamId}${f.frameNumber}`), ['a0', 'b0', 'a1']);
  });

  it('closes a full batch at once and a partial one maxWaitMs after the first waiting frame', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const a = new Queue('a');
      let n = 0;
      // each 'f' is one new frame of stream a; maxBatch 3, maxWaitMs 10
      const signals$ = hot<string>('-f-f-f-f-----------').pipe(
        tap(() => a.push(frame('a', n++))),
        map((): BatcherSignal => 'frame'),
      );
      const out$ = signals$.pipe(batchFrames(() => [a], { maxBatch: 3, maxWaitMs: 10, credits: 10 }), map(names));
      // frames at 1, 3, 5 fill a batch at 5; frame 3 waits from 7 and closes alone at 17
      expectObservable(out$).toBe('-----x-----------y-', { x: 'a0 a1 a2', y: 'a3' });
    });
  });

  it('forms no more batches than it has credits; a credit releases the next one', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const a = new Queue('a');
      a.push(...[0, 1, 2, 3, 4, 5].map((i) => frame('a', i)));
      const signals$ = hot<BatcherSignal>('f----c---c', { f: 'frame', c: 'credit' });
      const out$ = signals$.pipe(batchFrames(() => [a], { maxBatch: 2, maxWaitMs: 1000, credits: 1 }), map(names));
      expectObservable(out$).toBe('x----y---z', { x: 'a0 a1', y: 'a2 a3', z: 'a4 a5' });
    });
  });

  it('drains the last partial batch at once and completes when every source is done', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const a = new Queue('a');
      const b = new Queue('b');
      a.push(frame('a', 0));
      b.push(frame('b', 0), frame('b', 1));
      const signals$ = hot<BatcherSignal>('--f', { f: 'frame' }).pipe(tap(() => (a.done = b.done = true)));
      const out$ = signals$.pipe(batchFrames(() => [a, b], { maxBatch: 4, maxWaitMs: 10_000, credits: 5 }), map(names));
      expectObservable(out$).toBe('--(x|)', { x: 'a0 b0 b1' });
    });
  });

  it('stamps each batch with the scheduler\'s clock', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const a = new Queue('a');
      const signals$ = hot<BatcherSignal>('---f', { f: 'frame' }).pipe(tap(() => a.push(frame('a', 0))));
      const out$ = signals$.pipe(batchFrames(() => [a], { maxBatch: 4, maxWaitMs: 5, credits: 1 }), map((b) => b.formedAt));
      expectObservable(out$).toBe('--------t', { t: 8 });
    });
  });
});
