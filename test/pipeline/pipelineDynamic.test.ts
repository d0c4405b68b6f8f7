// Streams added and removed while the pipeline runs (what a cluster worker does on every rebalance), with
// real ffmpeg and a real (tiny, random-weight) model: an open pipeline outlives its streams; removing one
// stream stops only that stream; an id can come back after it was removed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEngine, type InferenceEngine } from '../../src/model/engine.ts';
import { createPipeline } from '../../src/pipeline/pipeline.ts';
import type { DetectionEvent, PipelineEvent, StreamStatusEvent } from '../../src/pipeline/types.ts';
import { makeVideo } from '../helpers/media.ts';
import { makeTinyModel } from '../helpers/tinyModel.ts';
import { waitFor } from '../helpers/waitFor.ts';

const dets = (events: PipelineEvent[], id: string) => events.filter((e): e is DetectionEvent => e.type === 'detections' && e.streamId === id);
const states = (events: PipelineEvent[], id: string) => events.filter((e): e is StreamStatusEvent => e.type === 'status' && e.streamId === id);
/** A file read at its native rate and looped, as `run --loop` does. */
const looped = (id: string, url: string) => ({ id, url, live: true, inputArgs: ['-stream_loop', '-1'] });

describe('pipeline: streams added and removed at run time', () => {
  let engine: InferenceEngine;
  let dir: string;
  let clip: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rs-pipeline-dyn-'));
    clip = await makeVideo(dir, 'clip', { width: 200, height: 120, fps: 10, frames: 12 });
    const model = await makeTinyModel();
    engine = await createEngine({ modelDir: model.dir, workers: 1 });
  });
  after(async () => {
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an open pipeline keeps running with no stream and takes streams added later, until stop()', { timeout: 120_000 }, async () => {
    const p = createPipeline({ inputs: [], open: true, engine, canvas: { width: 160, height: 96 }, maxBatch: 2, maxWaitMs: 20 });
    const events: PipelineEvent[] = [];
    p.events$.subscribe((e) => events.push(e));
    let over = false;
    void p.done.then(() => (over = true));
    p.start();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(over, false, 'an open pipeline with no stream is not done');
    p.addInput({ id: 'a', url: clip });
    // 'ended' comes once its frames are taken; their events once inferred
    await waitFor('stream a ended, 12 events', () => states(events, 'a').some((e) => e.state === 'ended') && dets(events, 'a').length >= 12, 60_000);
    assert.deepEqual(dets(events, 'a').map((e) => e.frameNumber), [...Array(12).keys()], 'every frame of a, in order');
    assert.equal(over, false, 'still running once its only stream ended');
    assert.deepEqual(p.sources.map((s) => s.id), ['a']);
    assert.equal(await p.removeInput('a'), true);
    assert.equal(await p.removeInput('a'), false, 'a removed stream is gone');
    p.addInput({ id: 'b', url: clip });
    await waitFor('stream b ended, 12 events', () => states(events, 'b').some((e) => e.state === 'ended') && dets(events, 'b').length >= 12, 60_000);
    assert.equal(dets(events, 'b').length, 12);
    await p.stop();
    assert.equal(over, true, 'stop() ends it');
    assert.throws(() => p.addInput({ id: 'c', url: clip }), { code: 'RS_ERR_PIPELINE_INPUT' });
  });

  it('removing one stream leaves the other running; the id can be added again', { timeout: 120_000 }, async () => {
    const p = createPipeline({ inputs: [looped('keep', clip), looped('move', clip)], open: true, engine, canvas: { width: 160, height: 96 }, maxBatch: 2, maxWaitMs: 20 });
    const events: PipelineEvent[] = [];
    p.events$.subscribe((e) => events.push(e));
    p.start();
    await waitFor('both streams give events', () => dets(events, 'keep').length >= 5 && dets(events, 'move').length >= 5, 60_000);
    assert.throws(() => p.addInput(looped('keep', clip)), { code: 'RS_ERR_PIPELINE_INPUT', message: /keep: already running/ });

    assert.equal(await p.removeInput('move', 'revoked: moved to another worker'), true);
    const removedAt = events.length;
    const last = states(events, 'move').at(-1)!;
    assert.equal(last.state, 'ended');
    assert.equal(last.reason, 'revoked: moved to another worker');
    const keepBefore = dets(events, 'keep').length;
    await waitFor('keep goes on', () => dets(events, 'keep').length >= keepBefore + 10, 60_000);
    // batches in flight at the removal may still emit a frame or two of the removed stream, nothing later
    assert.ok(dets(events.slice(removedAt), 'move').length <= 2, 'no events of a removed stream beyond its batches in flight');
    assert.deepEqual(states(events, 'keep').map((e) => e.state), ['connecting', 'live'], 'the other stream never restarted');
    const keepFrames = dets(events, 'keep').map((e) => e.frameNumber);
    assert.ok(keepFrames.every((n, i) => i === 0 || n > keepFrames[i - 1]!), 'keep frame numbers keep increasing');

    const moveBefore = dets(events, 'move').length;
    p.addInput(looped('move', clip));
    await waitFor('move again', () => dets(events, 'move').length >= moveBefore + 3, 60_000);
    assert.equal(dets(events, 'move')[moveBefore]!.frameNumber, 0, 'a stream added again starts over');
    await p.stop();
    await p.done;
    assert.deepEqual(p.sources.map((s) => s.state), ['ended', 'ended']);
  });
});
