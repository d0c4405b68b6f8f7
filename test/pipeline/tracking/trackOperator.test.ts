// trackEvents: ids on detections, lifecycle events in order, streams independent, other events untouched.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { from, lastValueFrom, Subject, toArray, VirtualTimeScheduler } from 'rxjs';
import { trackEvents } from '../../../src/pipeline/tracking/trackOperator.ts';
import type { PipelineEvent, StreamStatusEvent, TrackEndedEvent } from '../../../src/pipeline/types.ts';
import { box, detectionEvent } from './helpers.ts';

const run = (events: PipelineEvent[], opts = {}) => lastValueFrom(from(events).pipe(trackEvents(opts, new VirtualTimeScheduler()), toArray()));
const kinds = (out: PipelineEvent[]) => out.map((e) => (e.type === 'detections' ? `d${e.frameNumber}:${e.detections.map((d) => d.trackId ?? '-').join(',')}` : `${e.type}:${'trackId' in e ? e.trackId : ''}`));

describe('trackEvents', () => {
  it('track_started before the first detections event with the id; track_ended when the source completes', async () => {
    const out = await run([
      detectionEvent('cam', 0, []),
      detectionEvent('cam', 1, [box(10, 10)]),
      detectionEvent('cam', 2, [box(12, 10)]),
      detectionEvent('cam', 3, [box(14, 10)]),
    ]);
    assert.deepEqual(kinds(out), ['d0:', 'd1:-', 'track_started:1', 'd2:1', 'd3:1', 'track_ended:1']);
    const started = out[2];
    assert.equal(started.type, 'track_started');
    if (started.type === 'track_started') {
      assert.deepEqual({ firstFrame: started.firstFrame, frameNumber: started.frameNumber, firstPts: started.firstPts, box: started.box }, { firstFrame: 1, frameNumber: 2, firstPts: 0.1, box: [12, 10, 32, 50] });
      assert.equal(started.firstTime, new Date(1_700_000_000_100).toISOString());
      assert.equal(started.time, new Date(0).toISOString(), 'time from the scheduler');
    }
    const ended = out.at(-1) as TrackEndedEvent;
    assert.deepEqual(
      { reason: ended.reason, firstFrame: ended.firstFrame, lastFrame: ended.lastFrame, durationS: ended.durationS, framesSeen: ended.framesSeen, label: ended.label },
      { reason: 'stream_ended', firstFrame: 1, lastFrame: 3, durationS: 0.2, framesSeen: 3, label: 'c1' },
    );
  });

  it('a track lost past the buffer ends after the detections event of that frame', async () => {
    const events = [0, 1, 2].map((n) => detectionEvent('cam', n, [box(10 + n, 10)]));
    for (let n = 3; n <= 6; n++) events.push(detectionEvent('cam', n, []));
    const out = await run(events, { trackBuffer: 2 });
    // lost at frame 3 (last matched 2); 5 - 2 > 2: ended at frame 5
    assert.deepEqual(kinds(out), ['track_started:1', 'd0:1', 'd1:1', 'd2:1', 'd3:', 'd4:', 'd5:', 'track_ended:1', 'd6:']);
    assert.equal((out[7] as TrackEndedEvent).reason, 'lost');
  });

  it('streams are tracked independently (ids per stream); status and error events pass unchanged, in place', async () => {
    const status: StreamStatusEvent = { schemaVersion: 1, type: 'status', streamId: 'b', state: 'live', previousState: 'connecting', time: 'x' };
    const out = await run([detectionEvent('a', 0, [box(0, 0)]), status, detectionEvent('b', 0, [box(0, 0), box(100, 0)])]);
    assert.deepEqual(kinds(out), ['track_started:1', 'd0:1', 'status:', 'track_started:1', 'track_started:2', 'd0:1,2', 'track_ended:1', 'track_ended:1', 'track_ended:2']);
    assert.equal(out[2], status);
    assert.deepEqual(out.slice(-3).map((e) => e.streamId), ['a', 'b', 'b']);
  });

  it('leaves the input events unchanged (new detection objects carry the ids)', async () => {
    const e = detectionEvent('cam', 0, [box(0, 0)]);
    const out = await run([e]);
    assert.equal(e.detections[0].trackId, undefined);
    assert.equal(out[1].type === 'detections' && out[1].detections[0].trackId, 1);
  });

  it('errors pass through; unsubscribing stops it', () => {
    const src = new Subject<PipelineEvent>();
    const seen: string[] = [];
    let error: unknown;
    const sub = src.pipe(trackEvents()).subscribe({ next: (e) => seen.push(e.type), error: (e) => (error = e) });
    src.next(detectionEvent('cam', 0, [box(0, 0)]));
    src.error(new Error('boom'));
    assert.deepEqual(seen, ['track_started', 'detections']);
    assert.equal((error as Error).message, 'boom');
    sub.unsubscribe();
  });
});
