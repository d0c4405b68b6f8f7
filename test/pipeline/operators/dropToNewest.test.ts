// Drop-to-newest: the one arithmetic (supersede) and its three users agree. Every dropped frame is
// counted once, in the droppedBefore of the next frame of its stream that is kept.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatestFrameSlot } from '../../../src/pipeline/ingest/frameBuffer.ts';
import { refreshLiveFrames, supersede } from '../../../src/pipeline/operators/dropToNewest.ts';
import type { Batch, Frame } from '../../../src/pipeline/types.ts';
import { frame } from './helpers.ts';

describe('dropToNewest', () => {
  it('supersede: the newer frame carries the older one and what the older one had dropped', () => {
    const older = { ...frame('cam', 5, false), droppedBefore: 2 };
    const newer = { ...frame('cam', 9, false), droppedBefore: 3 };
    // 2 dropped before frame 5, frame 5 itself, 3 dropped between 5 and 9: 6
    assert.equal(supersede(older, newer).droppedBefore, 6);
    assert.equal(supersede(older, newer).frameNumber, 9);
    assert.equal(newer.droppedBefore, 3, 'inputs are not mutated');
  });

  it('swaps a live frame for a newer one at dispatch and counts the older as dropped; lossless frames stay', () => {
    const batch: Batch = { frames: [frame('cam', 5, false), frame('file', 1, true)], formedAt: 0 };
    const newer = new Map<string, Frame>([['cam', { ...frame('cam', 9, false), droppedBefore: 3 }]]);
    const refreshed = refreshLiveFrames(batch, (id) => newer.get(id));
    assert.equal(refreshed.frames[0].frameNumber, 9);
    assert.equal(refreshed.frames[0].droppedBefore, 4, '3 dropped before frame 9, plus frame 5 itself');
    assert.equal(refreshed.frames[1].frameNumber, 1, 'lossless frames are never swapped');
  });

  it('a chain of slot, buffer and dispatch drops counts each of 10 frames exactly once', () => {
    const slot = new LatestFrameSlot();
    let displaced = 0;
    for (let n = 0; n < 7; n++) displaced += slot.put(frame('cam', n, false));
    const kept = slot.take()!; // frame 6, 6 dropped
    for (let n = 7; n < 10; n++) displaced += slot.put(frame('cam', n, false));
    const atDispatch = refreshLiveFrames({ frames: [kept], formedAt: 0 }, () => slot.take()).frames[0]; // frame 9
    assert.equal(atDispatch.frameNumber, 9);
    assert.equal(displaced, 8, 'the slot displaced frames 0-5 and 7-8');
    assert.equal(atDispatch.droppedBefore, 9, 'frames 0-8 were dropped, each counted once');
  });
});
