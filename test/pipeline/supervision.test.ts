// The pipeline under inference failures, with real ffmpeg, real worker threads and a tiny model:
// a worker terminated mid-run loses exactly its batch (reported per stream as error events and in
// frames_lost_total), every other frame still gets its event, and the run ends normally; when workers
// keep dying, `done` rejects with RS_ERR_WORKERS_FAILED promptly and the sources are stopped.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { poolEngine } from '../../src/model/engine.ts';
import { DetectorPool } from '../../src/model/workers/detectorPool.ts';
import { connectPipeline } from '../../src/pipeline/connect.ts';
import { createMetrics } from '../../src/pipeline/metrics/metrics.ts';
import { createPipeline } from '../../src/pipeline/pipeline.ts';
import type { ModelConfig } from '../../src/model/config.ts';
import type { PipelineEvent } from '../../src/pipeline/types.ts';
import { makeVideo, tempDir } from '../helpers/media.ts';
import { makeTinyModel } from '../helpers/tinyModel.ts';

const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'schema', 'detection-event.v1.schema.json'), 'utf8'));
const validate = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, logger: false }).compile(schema);

describe('pipeline supervision', () => {
  let tmp: { dir: string; cleanup: () => void };
  let model: { dir: string; config: ModelConfig; hash: string };
  let clip: string; // 40 frames
  before(async () => {
    tmp = tempDir('rs-supervision-');
    [model, clip] = await Promise.all([makeTinyModel(), makeVideo(tmp.dir, 'clip', { width: 200, height: 120, fps: 10, frames: 40 })]);
  });
  after(() => {
    tmp?.cleanup();
    if (model) rmSync(model.dir, { recursive: true, force: true });
  });

  it('a worker terminated mid-run loses only its batch: error events for those frames, events for all others, a normal end', { timeout: 240_000 }, async () => {
    const pool = await DetectorPool.create(model.dir, 2, { expectedHash: model.hash });
    const engine = poolEngine(pool, model.config, model.hash, undefined, 'wasm');
    const metrics = createMetrics({ defaultMetrics: false });
    try {
      const p = createPipeline({ inputs: [{ id: 'a', url: clip }, { id: 'b', url: clip }], engine, canvas: { width: 160, height: 96 }, maxBatch: 4, maxWaitMs: 20 });
      const events: PipelineEvent[] = [];
      let killed = -1;
      connectPipeline(p, {
        sinks: [],
        metrics,
        engine,
        maxBatch: 4,
        observers: [
          {
            next: (e) => {
              events.push(e);
              if (killed < 0 && e.type === 'detections') {
                killed = pool.inFlight().findIndex((n) => (n ?? 0) > 0);
                if (killed >= 0) void pool.terminateWorker(killed);
              }
            },
          },
        ],
      });
      p.start();
      await p.done;
      assert.ok(killed >= 0, 'a worker with a batch in flight was terminated');
      for (const e of events) assert.ok(validate(e), `schema: ${JSON.stringify(validate.errors)}`);
      const lost = events.filter((e) => e.type === 'error');
      assert.ok(lost.length >= 1, 'the lost batch is reported');
      for (const e of lost) assert.equal(e.type === 'error' && e.code, 'RS_ERR_WORKER_DIED');
      let lostFrames = 0;
      for (const id of ['a', 'b']) {
        const seen = events.flatMap((e) => (e.streamId !== id ? [] : e.type === 'detections' ? [e.frameNumber] : e.type === 'error' ? e.frameNumbers : []));
        assert.deepEqual([...seen].sort((x, y) => x - y), [...Array(40).keys()], `stream ${id}: every frame has exactly one event or is listed as lost`);
        const states = events.filter((e) => e.type === 'status' && e.streamId === id).map((e) => (e as { state: string }).state);
        assert.deepEqual(states, ['connecting', 'live', 'ended'], 'the stream goes on to its end');
        lostFrames += events.reduce((n, e) => n + (e.type === 'error' && e.streamId === id ? e.frameNumbers.length : 0), 0);
      }
      const snap = metrics.snapshot();
      assert.equal(snap.framesLost, lostFrames, 'frames_lost_total counts the frames of the error events');
      assert.equal(snap.engine?.workerDeaths, 1);
      assert.equal(snap.streams.reduce((n, s) => n + s.framesInferred, 0), 80 - lostFrames, 'frames_inferred_total does not count lost frames');
      assert.match(await metrics.registry.metrics(), /^retinastream_frames_lost_total\{stream="[ab]",code="RS_ERR_WORKER_DIED"\} \d+$/m);
      assert.match(await metrics.registry.metrics(), /^retinastream_worker_tensors \d+$/m);
    } finally {
      await engine.close();
    }
  });

  it('workers that keep dying fail the run: done rejects with RS_ERR_WORKERS_FAILED and every source is stopped', { timeout: 240_000 }, async () => {
    const pool = await DetectorPool.create(model.dir, 1, { expectedHash: model.hash, maxDeaths: 1 });
    const engine = poolEngine(pool, model.config, model.hash, undefined, 'wasm');
    const long = await makeVideo(tmp.dir, 'long', { width: 200, height: 120, fps: 10, frames: 200 });
    try {
      const p = createPipeline({ inputs: [{ id: 'live', url: long, live: true }], engine, canvas: { width: 160, height: 96 }, maxBatch: 2, maxWaitMs: 20, source: { realtime: true } });
      let first = true;
      p.events$.subscribe({
        next: (e) => {
          if (first && e.type === 'detections') {
            first = false;
            void pool.terminateWorker(0);
          }
        },
        error: () => {},
      });
      p.start();
      const t0 = Date.now();
      await assert.rejects(p.done, { code: 'RS_ERR_WORKERS_FAILED', message: /1 inference worker deaths within 60 s/ });
      assert.ok(Date.now() - t0 < 30_000, 'fails promptly, not after the 20 s input');
      assert.equal(p.sources[0].state, 'ended', 'the source was stopped');
    } finally {
      await engine.close();
    }
  });
});
