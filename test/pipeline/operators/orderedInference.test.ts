// Ordered inference, pinned with marble tests: results leave in batch order whatever order the
// engine finishes them in, at most `concurrency` batches are in flight, a failed batch becomes one
// error event per stream (and the next batches go on), and only a fatal error ends the stream.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { map, throwError, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { orderedInference, type InferResult } from '../../../src/pipeline/operators/orderedInference.ts';
import type { Batch, Detection } from '../../../src/pipeline/types.ts';
import { frame } from './helpers.ts';

const model = { name: 'm', weightsHash: 'sha256:0' };
const testScheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
const batch = (...ids: string[]): Batch => ({ frames: ids.map((id) => frame(id.slice(0, 1), Number(id.slice(1)))), formedAt: 0 });
/** "a0 a1" for a detections result, "!CODE a:0,1" for a failed one. */
const describe_ = (r: InferResult) =>
  r.error
    ? `!${r.events.map((e) => (e.type === 'error' ? `${e.code} ${e.streamId}:${e.frameNumbers.join(',')}` : '?')).join(' ')}`
    : r.events.map((e) => (e.type === 'detections' ? `${e.streamId}${e.frameNumber}` : '?')).join(' ');

describe('orderedInference', () => {
  it('emits in batch order although the second batch finishes first; inferMs on the scheduler clock', () => {
    testScheduler().run(({ hot, cold, expectObservable }) => {
      const batches = { x: batch('a0', 'a1'), y: batch('a2') };
      const delays: Record<string, string> = { a0: '-----(d|)', a2: '--(d|)' };
      const infer = (b: Batch): Observable<Detection[][]> => cold(delays[`a${b.frames[0].frameNumber}`], { d: b.frames.map(() => []) });
      const out$ = hot('x-y', batches).pipe(orderedInference(infer, { concurrency: 2, model }));
      // y is done at 4 but waits for x (done at 5)
      expectObservable(out$.pipe(map(describe_))).toBe('-----(xy)', { x: 'a0 a1', y: 'a2' });
      expectObservable(out$.pipe(map((r) => r.inferMs))).toBe('-----(xy)', { x: 5, y: 2 });
    });
  });

  it('keeps at most `concurrency` batches in flight', () => {
    testScheduler().run(({ hot, cold, expectObservable }) => {
      const infer = (b: Batch) => cold('---(d|)', { d: b.frames.map(() => []) });
      const out$ = hot('(xyz)', { x: batch('a0'), y: batch('a1'), z: batch('a2') }).pipe(orderedInference(infer, { concurrency: 1, model }));
      expectObservable(out$.pipe(map(describe_))).toBe('---x--y--z', { x: 'a0', y: 'a1', z: 'a2' });
    });
  });

  it('turns a failed batch into one error event per stream with its frames, and goes on', () => {
    testScheduler().run(({ hot, cold, expectObservable }) => {
      const infer = (b: Batch) =>
        b.frames[0].frameNumber === 1
          ? cold<Detection[][]>('-#', {}, Object.assign(new Error('worker 0 died'), { code: 'RS_ERR_WORKER_DIED' }))
          : cold('-(d|)', { d: b.frames.map(() => []) });
      const out$ = hot('x-y-z', { x: batch('a0', 'b0'), y: batch('a1', 'b1', 'a2'), z: batch('a3', 'b2') }).pipe(orderedInference(infer, { concurrency: 2, model }));
      expectObservable(out$.pipe(map(describe_))).toBe('-x-y-z', { x: 'a0 b0', y: '!RS_ERR_WORKER_DIED a:1,2 RS_ERR_WORKER_DIED b:1', z: 'a3 b2' });
    });
  });

  it('ends the stream with a fatal error (the engine gave up)', () => {
    testScheduler().run(({ hot, cold, expectObservable }) => {
      const fatal = Object.assign(new Error('3 worker deaths'), { code: 'RS_ERR_WORKERS_FAILED' });
      const infer = (b: Batch) => (b.frames[0].frameNumber === 1 ? cold<Detection[][]>('-#', {}, fatal) : cold('-(d|)', { d: [[]] }));
      const out$ = hot('x-y-z', { x: batch('a0'), y: batch('a1'), z: batch('a2') }).pipe(
        orderedInference(infer, { concurrency: 2, model, isFatal: (e) => (e as { code?: string }).code === 'RS_ERR_WORKERS_FAILED' }),
      );
      expectObservable(out$.pipe(map(describe_))).toBe('-x-#', { x: 'a0' }, fatal);
    });
  });

  it('applies atDispatch when the batch goes onto the device, not when it arrives', () => {
    testScheduler().run(({ hot, cold, expectObservable }) => {
      const dispatches: number[] = [];
      const infer = (b: Batch) => cold('--(d|)', { d: b.frames.map(() => []) });
      const out$ = hot('(xy)', { x: batch('a0'), y: batch('a1') }).pipe(
        orderedInference(infer, { concurrency: 1, model, atDispatch: (b) => (dispatches.push(b.frames[0].frameNumber), b) }),
        map((r) => `${r.batch.frames[0].frameNumber}@${dispatches.join(',')}`),
      );
      // batch 1 arrives at 0 but is dispatched only when batch 0 is done (2)
      expectObservable(out$).toBe('--x-y', { x: '0@0', y: '1@0,1' });
    });
  });

  it('reports a settled batch after the slot it freed took the next waiting batch', () => {
    testScheduler().run(({ hot, cold, expectObservable, flush }) => {
      const log: string[] = [];
      const infer = (b: Batch) => cold('--(d|)', { d: b.frames.map(() => []) });
      const out$ = hot('(xy)', { x: batch('a0'), y: batch('a1') }).pipe(
        orderedInference(infer, {
          concurrency: 1,
          model,
          atDispatch: (b) => (log.push(`dispatch ${b.frames[0].frameNumber}`), b),
          onSettled: (r) => log.push(`settled ${r.batch.frames[0].frameNumber}`),
        }),
        map(describe_),
      );
      expectObservable(out$).toBe('--x-y', { x: 'a0', y: 'a1' });
      flush();
      // batch 1 goes onto the device before batch 0's credit comes back (a batch formed on that credit
      // must not take the live frames batch 1 refreshes at dispatch)
      assert.deepEqual(log, ['dispatch 0', 'dispatch 1', 'settled 0', 'settled 1']);
    });
  });

  it('a non-Error rejection is reported with the generic code', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const out$ = hot('x', { x: batch('a0') }).pipe(orderedInference(() => throwError(() => 'oops'), { concurrency: 1, model }), map(describe_));
      expectObservable(out$).toBe('x', { x: '!RS_ERR_BATCH_FAILED a:0' });
    });
  });
});
