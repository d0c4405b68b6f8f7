// connectPipeline wires metrics the way run and bench use them: with a live input faster than the
// engine, frames_dropped_total equals the sum of the events' own droppedFrames (it was never
// incremented before), and frames decoded = events + dropped.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createEngine, type InferenceEngine } from '../../src/model/engine.ts';
import { connectPipeline } from '../../src/pipeline/connect.ts';
import { createMetrics } from '../../src/pipeline/metrics/metrics.ts';
import { createPipeline } from '../../src/pipeline/pipeline.ts';
import type { PipelineEvent } from '../../src/pipeline/types.ts';
import { makeVideo, tempDir } from '../helpers/media.ts';
import { makeTinyModel } from '../helpers/tinyModel.ts';

describe('connectPipeline', () => {
  let tmp: { dir: string; cleanup: () => void };
  let modelDir: string;
  let engine: InferenceEngine;
  let fast: string; // 2 s at 100 fps, read in real time: faster than one worker
  before(async () => {
    tmp = tempDir('rs-connect-');
    modelDir = (await makeTinyModel()).dir;
    fast = await makeVideo(tmp.dir, 'fast', { width: 200, height: 120, fps: 100, frames: 200 });
    engine = await createEngine({ modelDir, workers: 1 });
  });
  after(async () => {
    await engine?.close();
    tmp?.cleanup();
    if (modelDir) rmSync(modelDir, { recursive: true, force: true });
  });

  it('frames_dropped_total equals the sum of the events\' droppedFrames under live backpressure', { timeout: 120_000 }, async () => {
    const p = createPipeline({ inputs: [{ id: 'cam', url: fast, live: true }], engine, canvas: { width: 160, height: 96 }, maxBatch: 1, maxWaitMs: 5, source: { realtime: true } });
    const metrics = createMetrics({ defaultMetrics: false });
    const events: PipelineEvent[] = [];
    connectPipeline(p, { sinks: [], metrics, engine, maxBatch: 1, observers: [{ next: (e) => events.push(e) }] });
    p.start();
    await p.done;
    const dets = events.filter((e) => e.type === 'detections');
    const dropped = dets.reduce((n, e) => n + (e.type === 'detections' ? e.droppedFrames : 0), 0);
    assert.ok(dropped > 0, `the engine is slower than 100 fps: some frames are dropped (${dets.length} events)`);
    const text = await metrics.registry.metrics();
    const m = /^retinastream_frames_dropped_total\{stream="cam",stage="live"\} (\d+)$/m.exec(text);
    assert.ok(m, text);
    assert.equal(Number(m[1]), dropped);
    const s = metrics.snapshot().streams[0];
    assert.equal(s.framesDropped, dropped);
    const last = dets.at(-1)!;
    assert.equal(dets.length + dropped, last.type === 'detections' ? last.frameNumber + 1 : NaN, 'every frame up to the last event is either processed or counted as dropped');
  });
});
