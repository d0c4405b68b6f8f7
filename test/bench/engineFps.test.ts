// The engine-only reference of `bench pipeline`: it must time the batches it is given, in turn, and
// each call must get its own bytes (worker engines take ownership of the buffer).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measureEngineFps } from '../../src/bench/engineFps.ts';
import { withDetections } from '../../src/bench/kafkaRate.ts';
import type { CanvasBatch } from '../../src/model/detector.ts';
import type { DetectionEvent } from '../../src/pipeline/types.ts';

const batch = (tag: number): CanvasBatch => ({ data: new Uint8Array([tag, tag]), count: 2, width: 1, height: 1, geometry: [] });

test('engine fps cycles through the given batches, each call with a copy of their bytes', async () => {
  const seen: number[] = [];
  const buffers = new Set<ArrayBufferLike>();
  const samples = [batch(1), batch(2), batch(3)];
  const engine = {
    concurrency: 2,
    detectCanvases: async (b: CanvasBatch) => {
      seen.push(b.data[0]);
      buffers.add(b.data.buffer);
      return [];
    },
  };
  const r = await measureEngineFps(engine, samples, 7);
  // two warm-up calls (one per worker), then 7 timed ones, taken in turn from the start
  assert.deepEqual(seen, [1, 2, 1, 2, 3, 1, 2, 3, 1]);
  assert.equal(buffers.size, seen.length, 'a fresh copy per call');
  assert.ok(samples.every((s, i) => s.data[0] === i + 1), 'the samples themselves are untouched');
  assert.deepEqual([r.batches, r.frames, r.batchSize], [7, 14, 2]);
});

test('engine fps refuses no batches or batches of different sizes', async () => {
  const engine = { concurrency: 1, detectCanvases: async () => [] };
  await assert.rejects(measureEngineFps(engine, [], 3), { code: 'RS_ERR_BENCH_OPTIONS' });
  await assert.rejects(measureEngineFps(engine, [batch(1), { ...batch(2), count: 3 }], 3), { code: 'RS_ERR_BENCH_OPTIONS' });
});

test('withDetections makes an event of exactly N detections from its own, or from a made-up one', () => {
  const d = (s: number) => ({ box: [0, 0, 1, 1] as [number, number, number, number], score: s, classId: 0, label: 'a' });
  const e = { type: 'detections', detections: [d(0.9), d(0.8), d(0.7)] } as DetectionEvent;
  assert.deepEqual(withDetections(e, 5).detections.map((x) => x.score), [0.9, 0.8, 0.7, 0.9, 0.8]);
  assert.deepEqual(withDetections(e, 2).detections.map((x) => x.score), [0.9, 0.8]);
  assert.equal(e.detections.length, 3, 'the original is left as it was');
  assert.equal(withDetections({ ...e, detections: [] }, 10).detections.length, 10);
});
