// Fan-out: one upstream subscription shared by every sink observer; a sink that throws loses only its
// own write; the stream's error reaches the observers without being thrown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { map, Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { fanOut, sinkObserver } from '../../../src/pipeline/operators/fanOut.ts';
import type { PipelineEvent } from '../../../src/pipeline/types.ts';

const status = (n: string): PipelineEvent => ({ schemaVersion: 1, type: 'status', streamId: `s${n}`, state: 'live', previousState: null, time: '' });
const run = (f: (h: Parameters<Parameters<TestScheduler['run']>[0]>[0]) => void) => new TestScheduler((x, y) => assert.deepEqual(x, y)).run(f);

describe('fanOut', () => {
  it('subscribes upstream once and gives every observer every event', () => {
    let subscriptions = 0;
    const a: string[] = [];
    const b: string[] = [];
    run(({ cold }) => {
      const events$ = cold('-1-2-3|').pipe(map(status));
      const source$ = new Observable<PipelineEvent>((s) => (subscriptions++, events$.subscribe(s)));
      fanOut(source$, [sinkObserver({ write: (e) => a.push(e.streamId) }), sinkObserver({ write: (e) => b.push(e.streamId) })]);
    });
    assert.equal(subscriptions, 1, 'one upstream subscription for all sinks');
    assert.deepEqual(a, ['s1', 's2', 's3']);
    assert.deepEqual(b, ['s1', 's2', 's3']);
  });

  it('a sink whose write throws loses only that write; the stream error reaches the observers, not the caller', () => {
    const good: string[] = [];
    const seen: string[] = [];
    run(({ hot }) => {
      const source$ = hot('-1-2-3-#', { 1: '1', 2: '2', 3: '3' }, new Error('engine gave up')).pipe(map(status));
      fanOut(source$, [
        sinkObserver({
          write: (e) => {
            if (e.streamId === 's2') throw new Error('disk full');
          },
        }),
        sinkObserver({ write: (e) => good.push(e.streamId) }),
        { next: (e) => seen.push(e.streamId), error: (err) => seen.push(`error: ${(err as Error).message}`) },
      ]);
    });
    assert.deepEqual(good, ['s1', 's2', 's3']);
    assert.deepEqual(seen, ['s1', 's2', 's3', 'error: engine gave up']);
  });
});
