// `retinastream eval --results EVENTS.jsonl --json`: the 12 COCO numbers of a run's JSONL output.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { METRIC_KEYS } from '../../../src/eval/cocoEval.ts';
import { tempDir } from '../../helpers/media.ts';
import { runCli } from '../cliProcess.ts';

describe('retinastream eval', () => {
  let tmp: { dir: string; cleanup: () => void };
  let gt: string;
  let events: string;
  before(() => {
    tmp = tempDir('rs-cli-eval-');
    // Two frames, one "alpha" object each, both 50x60 = 3000 px: medium (32^2 < area < 96^2).
    gt = join(tmp.dir, 'gt.json');
    writeFileSync(gt, JSON.stringify({
      images: [0, 1].map((id) => ({ id, file_name: `frame_${id}`, width: 200, height: 120 })),
      annotations: [
        { id: 1, image_id: 0, category_id: 1, bbox: [10, 10, 50, 60], area: 3000, iscrowd: 0 },
        { id: 2, image_id: 1, category_id: 1, bbox: [100, 20, 50, 60], area: 3000, iscrowd: 0 },
      ],
      categories: [{ id: 1, name: 'alpha' }],
    }));
    // The run found frame 0's object exactly (score 0.9) and put a 5x5 false positive in frame 1 (score 0.8).
    const model = { name: 'm', weightsHash: 'sha256:0' };
    const status = (state: string, previousState: string | null) =>
      ({ schemaVersion: 1, type: 'status', streamId: 'cam', state, previousState, time: '2026-01-01T00:00:00.000Z' });
    const det = (frameNumber: number, box: number[], score: number) => ({
      schemaVersion: 1, type: 'detections', streamId: 'cam', frameNumber, pts: frameNumber / 10, captureTime: '2026-01-01T00:00:00.000Z',
      emitTime: '2026-01-01T00:00:00.050Z', latencyMs: 50, source: { width: 200, height: 120 }, model,
      detections: [{ box, score, classId: 1, label: 'alpha' }], droppedFrames: 0,
    });
    events = join(tmp.dir, 'events.jsonl');
    writeFileSync(events, [status('connecting', null), status('live', 'connecting'), det(0, [10, 10, 60, 70], 0.9), det(1, [0, 0, 5, 5], 0.8), status('ended', 'live')]
      .map((e) => JSON.stringify(e)).join('\n') + '\n');
  });
  after(() => tmp?.cleanup());

  it('--json prints the 12 COCO numbers as one JSON object', { timeout: 60_000 }, async () => {
    const r = await runCli(['eval', '--dataset', gt, '--results', events, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const { crossClassDuplicates, perCategory, ...m } = JSON.parse(lines[0]) as Record<string, number> & { crossClassDuplicates: unknown; perCategory: unknown };
    assert.deepEqual(Object.keys(m), [...METRIC_KEYS]);
    // two detections >= 0.3, one per frame: nothing overlaps another class
    assert.deepEqual(crossClassDuplicates, { considered: 2, duplicates: 0, minScore: 0.3, iou: 0.5 });
    // Worked out by hand: sorted by score the detections are TP (IoU 1 with frame 0's box), then FP, so
    // precision is 1 up to recall 1/2 and recall never passes 1/2: AP = 51/101 (recall points 0, .01 .. .50)
    // at every IoU threshold. The 5x5 false positive is small: outside the medium range it is ignored,
    // which leaves APm the same. No small or large objects: -1. Recall is 1/2 at any maxDets.
    const ap = 51 / 101;
    const expected: Record<string, number> = { AP: ap, AP50: ap, AP75: ap, APs: -1, APm: ap, APl: -1, AR1: 0.5, AR10: 0.5, AR100: 0.5, ARs: -1, ARm: 0.5, ARl: -1 };
    for (const k of METRIC_KEYS) assert.ok(Math.abs(m[k] - expected[k]) < 1e-9, `${k}: ${m[k]}, expected ${expected[k]}`);
    // one category: its AP is the AP
    assert.deepEqual(perCategory, [{ id: 1, name: 'alpha', AP: m.AP }]);
  });

  it('prints the 12 lines and the AP of each category', { timeout: 60_000 }, async () => {
    const r = await runCli(['eval', '--dataset', gt, '--results', events]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 13);
    assert.equal(lines[12], `AP per category (IoU=0.50:0.95): alpha ${((100 * 51) / 101).toFixed(1)}`);
  });
});
