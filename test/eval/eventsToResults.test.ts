import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventsToResults, loadResults } from '../../src/eval/eventsToResults.ts';
import type { DetectionEvent, StreamStatusEvent } from '../../src/pipeline/types.ts';

function detections(streamId: string, frameNumber: number, dets: DetectionEvent['detections']): DetectionEvent {
  return {
    schemaVersion: 1, type: 'detections', streamId, frameNumber, pts: frameNumber / 25,
    captureTime: '2026-11-27T13:00:00.000Z', emitTime: '2026-11-27T13:00:00.040Z', latencyMs: 40,
    source: { width: 640, height: 480 }, model: { name: 'retinanet_r50', weightsHash: 'abc' },
    detections: dets, droppedFrames: 0,
  };
}
const status = (streamId: string): StreamStatusEvent => ({
  schemaVersion: 1, type: 'status', streamId, state: 'live', previousState: 'connecting', time: '2026-11-27T13:00:00.000Z',
});
const jsonl = (events: unknown[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n';

test('detections events become COCO results: image_id = frameNumber, bbox = [x1, y1, x2 - x1, y2 - y1]', () => {
  const text = jsonl([
    status('cam'),
    detections('cam', 0, [{ box: [10, 20, 50, 80], score: 0.9, classId: 3, label: 'car' }, { box: [1.5, 2.5, 4, 5], score: 0.1, classId: 1, label: 'person' }]),
    detections('cam', 1, []),
    detections('cam', 2, [{ box: [0, 0, 640, 480], score: 0.5, classId: 0, label: 'bg' }]),
  ]);
  assert.deepEqual(eventsToResults(text, 'ev.jsonl'), [
    { image_id: 0, category_id: 3, bbox: [10, 20, 40, 60], score: 0.9 },
    { image_id: 0, category_id: 1, bbox: [1.5, 2.5, 2.5, 2.5], score: 0.1 },
    { image_id: 2, category_id: 0, bbox: [0, 0, 640, 480], score: 0.5 },
  ]);
});

test('categoryIds maps contiguous class ids to COCO category ids', () => {
  const text = jsonl([detections('cam', 5, [{ box: [0, 0, 1, 1], score: 0.5, classId: 1, label: 'bicycle' }])]);
  assert.equal(eventsToResults(text, 'ev.jsonl', { categoryIds: [1, 2, 3] })[0].category_id, 2);
  assert.throws(() => eventsToResults(text, 'ev.jsonl', { categoryIds: [1] }), /ev\.jsonl:1: detections\[0\]: classId 1 has no entry in categoryIds \(1 given\)/);
});

test('several streams need a streamId filter', () => {
  const text = jsonl([
    detections('a', 0, [{ box: [0, 0, 1, 1], score: 0.5, classId: 1, label: 'x' }]),
    status('b'),
    detections('b', 0, [{ box: [0, 0, 2, 2], score: 0.6, classId: 1, label: 'x' }]),
  ]);
  assert.throws(() => eventsToResults(text, 'ev.jsonl'), (e: Error & { code?: string }) =>
    e.code === 'RS_ERR_COCO_RESULTS' && /ev\.jsonl: detections of 2 streams \("a", "b"\); .*pass streamId/.test(e.message));
  assert.deepEqual(eventsToResults(text, 'ev.jsonl', { streamId: 'b' }), [{ image_id: 0, category_id: 1, bbox: [0, 0, 2, 2], score: 0.6 }]);
  assert.throws(() => eventsToResults(text, 'ev.jsonl', { streamId: 'c' }), /no detections events of stream "c"/);
});

test('bad lines are named by file and line number', () => {
  const good = JSON.stringify(detections('cam', 0, []));
  assert.throws(() => eventsToResults(`${good}\n{oops\n`, 'ev.jsonl'), (e: Error & { code?: string }) =>
    e.code === 'RS_ERR_EVAL_FILE' && e.message.startsWith('ev.jsonl:2: not a JSON line'));
  assert.throws(() => eventsToResults(`${good}\n${JSON.stringify({ type: 'metrics' })}\n`, 'ev.jsonl'), /ev\.jsonl:2: unknown event type "metrics"/);
  const badBox = JSON.stringify(detections('cam', 1, [{ box: [0, 0, 1] as unknown as [number, number, number, number], score: 0.5, classId: 1, label: 'x' }]));
  assert.throws(() => eventsToResults(`${good}\n${badBox}\n`, 'ev.jsonl'), /ev\.jsonl:2: detections\[0\]: box must be 4 finite numbers/);
  assert.throws(() => eventsToResults(`${good}\n${good}\n`, 'ev.jsonl'), /ev\.jsonl:2: frame 0 of stream "cam" already appeared on line 1/);
  assert.throws(() => eventsToResults(jsonl([status('cam')]), 'ev.jsonl'), /ev\.jsonl: no detections events/);
});

test('loadResults reads COCO results arrays and event files alike', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-results-'));
  try {
    const coco = [{ image_id: 3, category_id: 1, bbox: [1, 2, 3, 4], score: 0.25 }];
    writeFileSync(join(dir, 'res.json'), '\n  ' + JSON.stringify(coco));
    assert.deepEqual(loadResults(join(dir, 'res.json')), coco);
    assert.throws(() => loadResults(join(dir, 'res.json'), { streamId: 'cam' }), /is a COCO results array, which has no streams/);
    writeFileSync(join(dir, 'ev.jsonl'), jsonl([detections('cam', 3, [{ box: [1, 2, 4, 6], score: 0.25, classId: 1, label: 'p' }])]));
    assert.deepEqual(loadResults(join(dir, 'ev.jsonl')), coco);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify([{ image_id: 3, category_id: 1, bbox: [1, 2, 3, 4] }]));
    assert.throws(() => loadResults(join(dir, 'bad.json')), (e: Error & { code?: string }) =>
      e.code === 'RS_ERR_COCO_RESULTS' && /bad\.json: results\[0\]: missing field "score"/.test(e.message));
    assert.throws(() => loadResults(join(dir, 'missing.jsonl')), /missing\.jsonl: cannot read results file \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
