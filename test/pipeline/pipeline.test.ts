// The whole streaming path with real ffmpeg and a real (small, random-weight) model:
// one event per frame, in order, schema-valid; a dead input does not disturb a live one.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import { createEngine, type InferenceEngine } from '../../src/model/engine.ts';
import { createPipeline } from '../../src/pipeline/pipeline.ts';
import type { DetectionEvent, PipelineEvent } from '../../src/pipeline/types.ts';
import { makeVideo } from '../helpers/media.ts';
import { makeTinyModel } from '../helpers/tinyModel.ts';

const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'schema', 'detection-event.v1.schema.json'), 'utf8'));
const validate = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false }).compile(schema);

describe('pipeline', () => {
  let engine: InferenceEngine;
  let dir: string;
  let clip: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rs-pipeline-'));
    clip = await makeVideo(dir, 'clip', { width: 200, height: 120, fps: 10, frames: 12 });
    const model = await makeTinyModel();
    engine = await createEngine({ modelDir: model.dir, workers: 2 });
  });
  after(async () => engine?.close());

  it('turns every frame of two files into exactly one schema-valid event, in order per stream', { timeout: 240_000 }, async () => {
    const p = createPipeline({ inputs: [{ id: 'a', url: clip }, { id: 'b', url: clip }], engine, canvas: { width: 160, height: 96 }, maxBatch: 4, maxWaitMs: 20 });
    const events: PipelineEvent[] = [];
    p.events$.subscribe((e) => events.push(e));
    p.start();
    await p.done;
    for (const e of events) assert.ok(validate(e), `schema: ${JSON.stringify(validate.errors)}`);
    for (const id of ['a', 'b']) {
      const dets = events.filter((e): e is DetectionEvent => e.type === 'detections' && e.streamId === id);
      assert.deepEqual(dets.map((e) => e.frameNumber), [...Array(12).keys()], `stream ${id} frame numbers`);
      for (const e of dets) {
        assert.deepEqual(e.source, { width: 200, height: 120 });
        assert.equal(e.model.name, 'tiny_r18_test');
        assert.ok(e.detections.length > 0, 'the raised class prior gives detections');
        for (const d of e.detections) {
          assert.ok(d.box[0] >= 0 && d.box[1] >= 0 && d.box[2] <= 200 + 1e-3 && d.box[3] <= 120 + 1e-3, `box ${d.box} inside the 200x120 source`);
        }
      }
      const states = events.filter((e) => e.type === 'status' && e.streamId === id).map((e) => (e as { state: string }).state);
      assert.deepEqual(states, ['connecting', 'live', 'ended']);
    }
  });

  it('keeps a live input running while another input is dead', { timeout: 240_000 }, async () => {
    const p = createPipeline({
      inputs: [
        { id: 'good', url: clip },
        { id: 'dead', url: 'rtsp://127.0.0.1:9/none' },
      ],
      engine,
      canvas: { width: 160, height: 96 },
      maxBatch: 2,
      maxWaitMs: 20,
      source: { maxRetries: 1, backoff: { initialMs: 50, maxMs: 100, factor: 2, jitter: 0 }, connectTimeoutMs: 1000 },
    });
    const events: PipelineEvent[] = [];
    p.events$.subscribe((e) => events.push(e));
    p.start();
    await p.done;
    const good = events.filter((e) => e.type === 'detections' && e.streamId === 'good');
    assert.equal(good.length, 12);
    const dead = events.filter((e) => e.type === 'status' && e.streamId === 'dead').map((e) => (e as { state: string }).state);
    assert.equal(dead.at(-1), 'failed');
    assert.ok(dead.includes('backing_off'));
  });
});
