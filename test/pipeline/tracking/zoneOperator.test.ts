// zoneEvents: enter/exit with dwell and occupancy, exit when the track ends inside, line crossings with
// direction and counts, fractions of the source size, streams kept apart.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { from, lastValueFrom, toArray, VirtualTimeScheduler } from 'rxjs';
import { zoneEvents, type LineSpec, type ZoneSpec } from '../../../src/pipeline/tracking/zoneOperator.ts';
import type { EventDetection, LineCrossEvent, PipelineEvent, TrackEndedEvent, ZoneExitEvent } from '../../../src/pipeline/types.ts';
import { box, detectionEvent } from './helpers.ts';

const tracked = (trackId: number, x: number, y: number): EventDetection => ({ ...box(x, y), trackId }); // 20x40: anchor (x + 10, y + 40)
const run = (events: PipelineEvent[], zones: ZoneSpec[], lines: LineSpec[] = []) => lastValueFrom(from(events).pipe(zoneEvents(zones, lines, new VirtualTimeScheduler()), toArray()));
const summary = (out: PipelineEvent[]) =>
  out.filter((e) => e.type !== 'detections').map((e) => {
    if (e.type === 'zone_enter') return `enter ${e.zone} #${e.trackId} f${e.frameNumber} occ${e.occupancy}`;
    if (e.type === 'zone_exit') return `exit ${e.zone} #${e.trackId} f${e.frameNumber} dwell${e.dwellS} ${e.reason} occ${e.occupancy}`;
    if (e.type === 'line_cross') return `cross ${e.line} #${e.trackId} ${e.direction} ${e.counts.in}/${e.counts.out}`;
    return e.type;
  });

// zone: x 100-200, y 100-200 (pixels)
const zone: ZoneSpec = { stream: 'cam', name: 'door', polygon: [[100, 100], [200, 100], [200, 200], [100, 200]] };

describe('zoneEvents', () => {
  it('enter and exit with dwell (pts) and occupancy; only the bottom-centre anchor counts', async () => {
    const out = await run(
      [
        detectionEvent('cam', 0, [tracked(1, 0, 0), tracked(2, 140, 40)]), // #2: box y 40-80, anchor y 80: outside
        detectionEvent('cam', 1, [tracked(1, 140, 100), tracked(2, 140, 70)]), // both anchors inside (y 140, 110)
        detectionEvent('cam', 2, [tracked(1, 140, 100), tracked(2, 140, 70)]),
        detectionEvent('cam', 5, [tracked(1, 300, 100), tracked(2, 140, 70)]), // #1 left
      ],
      [zone],
    );
    assert.deepEqual(summary(out), ['enter door #1 f1 occ1', 'enter door #2 f1 occ2', 'exit door #1 f5 dwell0.4 left occ1']);
    assert.equal(out.filter((e) => e.type === 'detections').length, 4, 'detections pass through');
  });

  it('a track that ends inside exits with reason track_ended at its last frame; lost frames keep it inside', async () => {
    const ended = { schemaVersion: 1, type: 'track_ended', streamId: 'cam', trackId: 1, lastFrame: 3, lastPts: 0.3 } as TrackEndedEvent;
    const out = await run([detectionEvent('cam', 1, [tracked(1, 140, 100)]), detectionEvent('cam', 2, []), ended], [zone]);
    assert.deepEqual(summary(out), ['enter door #1 f1 occ1', 'track_ended', 'exit door #1 f3 dwell0.2 track_ended occ0']);
    assert.equal((out.at(-1) as ZoneExitEvent).dwellS, 0.2);
  });

  it('zones in fractions of the source size; other streams and untracked detections are ignored', async () => {
    const frac: ZoneSpec = { stream: 'cam', name: 'left half', polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]], units: 'fraction' };
    const out = await run(
      [
        detectionEvent('cam', 0, [tracked(1, 100, 100), box(100, 100)], { width: 640, height: 360 }), // anchor x 110 < 320
        detectionEvent('cam', 1, [tracked(1, 400, 100)], { width: 640, height: 360 }), // x 410 > 320
        detectionEvent('other', 0, [tracked(1, 100, 100)]),
      ],
      [frac],
    );
    assert.deepEqual(summary(out), ['enter left half #1 f0 occ1', 'exit left half #1 f1 dwell0.1 left occ0']);
  });

  it('line crossings: direction and running counts; a move past the end of the segment does not count', async () => {
    // line from (0, 200) to (300, 200): walking right, screen-down is the right side ("in")
    const line: LineSpec = { stream: 'cam', name: 'gate', from: [0, 200], to: [300, 200] };
    const ys = [100, 150, 170, 190, 150]; // anchors (y + 40): 140 190 210 230 190 -> in at frame 2, out at frame 4
    const events = ys.map((y, n) => detectionEvent('cam', n, [tracked(1, 50, y), tracked(2, 400, y)])); // #2 is past the segment's end
    const out = await run(events, [], [line]);
    assert.deepEqual(summary(out), ['cross gate #1 in 1/0', 'cross gate #1 out 1/1']);
    assert.deepEqual((out.filter((e) => e.type === 'line_cross') as LineCrossEvent[]).map((e) => e.frameNumber), [2, 4]);
  });

  it('no zones and no lines: the identity', () => {
    const op = zoneEvents([], []);
    const src = from([detectionEvent('cam', 0, [])]);
    assert.equal(op(src), src);
  });
});
