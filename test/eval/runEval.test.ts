import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runEvalOnResults } from '../../src/eval/runEval.ts';
import { METRIC_KEYS } from '../../src/eval/cocoEval.ts';
import type { CocoResult } from '../../src/eval/cocoResults.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/coco/', import.meta.url));
const dataset = `${FIXTURES}mixed.dataset.json`;
const resultsPath = `${FIXTURES}mixed.results.json`;
const expected = JSON.parse(readFileSync(`${FIXTURES}mixed.expected.json`, 'utf8')).cases[0] as { stats: number[]; summary: string };

test('text output is pycocotools summarize() output', async () => {
  assert.equal(await runEvalOnResults({ dataset, results: resultsPath, json: false }), expected.summary);
});

test('json output has the 12 numbers under their names', async () => {
  const out = JSON.parse(await runEvalOnResults({ dataset, results: resultsPath, json: true }));
  assert.deepEqual(Object.keys(out), [...METRIC_KEYS]);
  METRIC_KEYS.forEach((k, i) => assert.ok(Math.abs(out[k] - expected.stats[i]) <= 1e-12, k));
});

test('the same detections as a JSONL event file (with another stream and status lines) give the same numbers', async () => {
  const results = JSON.parse(readFileSync(resultsPath, 'utf8')) as CocoResult[];
  const byImage = new Map<number, CocoResult[]>();
  for (const r of results) byImage.set(r.image_id, [...(byImage.get(r.image_id) ?? []), r]);
  const lines: string[] = [JSON.stringify({ schemaVersion: 1, type: 'status', streamId: 'val', state: 'live', previousState: null, time: '2026-11-27T13:00:00Z' })];
  for (const [imageId, rs] of byImage) {
    for (const streamId of ['val', 'other']) {
      lines.push(JSON.stringify({
        schemaVersion: 1, type: 'detections', streamId, frameNumber: imageId, pts: 0, captureTime: '2026-11-27T13:00:00Z',
        emitTime: '2026-11-27T13:00:00Z', latencyMs: 1, source: { width: 640, height: 480 }, model: { name: 'm', weightsHash: 'h' },
        detections: streamId === 'other' ? [] : rs.map((r) => ({
          box: [r.bbox[0], r.bbox[1], r.bbox[0] + r.bbox[2], r.bbox[1] + r.bbox[3]], score: r.score, classId: r.category_id, label: '',
        })),
        droppedFrames: 0,
      }));
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'rs-runeval-'));
  try {
    const events = join(dir, 'events.jsonl');
    writeFileSync(events, lines.join('\n') + '\n');
    const out = JSON.parse(await runEvalOnResults({ dataset, results: events, json: true, streamId: 'val' }));
    // x2 - x1 after x1 + w may differ from w in the last bit, so compare to 1e-9, not exactly.
    METRIC_KEYS.forEach((k, i) => assert.ok(Math.abs(out[k] - expected.stats[i]) <= 1e-9, `${k}: ${out[k]} vs ${expected.stats[i]}`));
    await assert.rejects(runEvalOnResults({ dataset, results: events, json: true }), /detections of 2 streams/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
