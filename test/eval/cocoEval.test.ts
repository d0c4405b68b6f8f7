import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadCocoDataset, parseCocoDataset, type CocoDataset } from '../../src/eval/cocoDataset.ts';
import { loadResults } from '../../src/eval/eventsToResults.ts';
import { evaluateDetections, formatMetrics, METRIC_KEYS, type CocoMetrics, type EvalOptions } from '../../src/eval/cocoEval.ts';
import type { CocoResult } from '../../src/eval/cocoResults.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/coco/', import.meta.url));

interface Expected {
  cases: { options: EvalOptions; stats: number[]; summary: string }[];
}

// Fixtures written by tools/eval/make_fixtures.py with pycocotools 2.0.11 (see its docstring for what
// each covers). We aim for bit equality; 1e-12 is the asserted tolerance.
for (const name of ['mixed', 'ids-from-zero']) {
  const dataset = loadCocoDataset(`${FIXTURES}${name}.dataset.json`);
  const results = loadResults(`${FIXTURES}${name}.results.json`);
  const expected = JSON.parse(readFileSync(`${FIXTURES}${name}.expected.json`, 'utf8')) as Expected;
  for (const c of expected.cases) {
    test(`${name} ${JSON.stringify(c.options)}: the 12 numbers and printout equal pycocotools'`, () => {
      const m = evaluateDetections(dataset, results, c.options);
      METRIC_KEYS.forEach((k, i) => {
        assert.ok(Math.abs(m[k] - c.stats[i]) <= 1e-12, `${k}: got ${m[k]}, pycocotools ${c.stats[i]}`);
      });
      assert.equal(formatMetrics(m, c.options), c.summary);
    });
  }
}

// Small hand-worked cases. One 100x100 image unless said otherwise; category 1.
function dataset(anns: { bbox: [number, number, number, number]; area?: number; iscrowd?: 0 | 1; category_id?: number; image_id?: number }[], images = 1): CocoDataset {
  return parseCocoDataset({
    images: Array.from({ length: images }, (_, i) => ({ id: i + 1, width: 100, height: 100 })),
    categories: [{ id: 1, name: 'a' }, { id: 2, name: 'b' }],
    annotations: anns.map((a, i) => ({
      id: i + 1, image_id: a.image_id ?? 1, category_id: a.category_id ?? 1, bbox: a.bbox,
      area: a.area ?? a.bbox[2] * a.bbox[3], iscrowd: a.iscrowd ?? 0,
    })),
  }, 'hand');
}
// Precision is tp / (fp + tp + eps) as in pycocotools, so a perfect 1 comes out as 1 - 2.2e-16.
const near = (actual: number, expected: number, what = '') => assert.ok(Math.abs(actual - expected) < 1e-12, `${what} got ${actual}, expected ${expected}`);
const det = (bbox: [number, number, number, number], score: number, category_id = 1, image_id = 1): CocoResult => ({ image_id, category_id, bbox, score });

test('a perfect detection scores 1 everywhere its area range has objects, -1 elsewhere', () => {
  // gt 40x40 = 1600 px: a medium object. Category 2 has no gt: -1 for it, so it does not count.
  const m = evaluateDetections(dataset([{ bbox: [10, 10, 40, 40] }]), [det([10, 10, 40, 40], 0.9)]);
  const want: CocoMetrics = { AP: 1, AP50: 1, AP75: 1, APs: -1, APm: 1, APl: -1, AR1: 1, AR10: 1, AR100: 1, ARs: -1, ARm: 1, ARl: -1 };
  for (const k of METRIC_KEYS) near(m[k], want[k], k);
});

test('IoU 0.6 is a hit at thresholds .50 and .55 and .60 only: AP = AR = 3/10', () => {
  // det [10,10,40,40] vs gt [10,10,40,24]: intersection 40*24 = 960, union 1600, IoU 0.6 (>= .6 matches).
  const m = evaluateDetections(dataset([{ bbox: [10, 10, 40, 24] }]), [det([10, 10, 40, 40], 0.9)]);
  near(m.AP50, 1);
  assert.equal(m.AP75, 0);
  near(m.AP, 0.3);
  near(m.AR100, 0.3);
});

test('a false positive scored above the hit halves precision at every recall: AP50 = 0.5', () => {
  // sorted: fp (0.9), tp (0.8) -> precision 1/2 at recall 1, envelope 1/2 for all 101 thresholds.
  const m = evaluateDetections(dataset([{ bbox: [10, 10, 40, 40] }]), [det([60, 60, 30, 30], 0.9), det([10, 10, 40, 40], 0.8)]);
  assert.ok(Math.abs(m.AP50 - 0.5) < 1e-12, String(m.AP50));
  // with maxDets 1 only the fp is kept: AR1 = 0, AR10 = 1
  assert.equal(m.AR1, 0);
  assert.equal(m.AR10, 1);
});

test('a crowd region absorbs any number of detections and is never missed', () => {
  // Crowd IoU = intersection / detection area: both dets lie inside the crowd box -> 1, so both are
  // ignored (neither tp nor fp). The regular gt is found by the third det: AP 1, AR 1.
  const ds = dataset([{ bbox: [0, 0, 60, 60], iscrowd: 1 }, { bbox: [70, 70, 20, 20] }]);
  const m = evaluateDetections(ds, [det([5, 5, 10, 10], 0.95), det([20, 20, 10, 10], 0.9), det([70, 70, 20, 20], 0.5)]);
  near(m.AP, 1);
  near(m.AR100, 1);
  // the same dets with a non-crowd region instead: two false positives above the hit at IoU < .5
  const m2 = evaluateDetections(dataset([{ bbox: [0, 0, 60, 60] }, { bbox: [70, 70, 20, 20] }]),
    [det([5, 5, 10, 10], 0.95), det([20, 20, 10, 10], 0.9), det([70, 70, 20, 20], 0.5)]);
  assert.ok(m2.AP < 1);
});

test('area ranges use the annotation area field, and a det outside the range is ignored only if unmatched', () => {
  // Box 40x40 but area 900 (< 32^2): a small object. Its det (area 1600) matches it, so counts for small.
  const m = evaluateDetections(dataset([{ bbox: [10, 10, 40, 40], area: 900 }]), [det([10, 10, 40, 40], 0.9), det([60, 60, 35, 35], 0.8)]);
  near(m.APs, 1); // the unmatched medium det (1225 px) is ignored in the small range
  assert.equal(m.APm, -1); // no medium gt
  assert.ok(Math.abs(m.AP50 - 1) < 1e-12); // in 'all' the fp ranks below the hit
});

test('with useCats false a detection of the wrong class still matches', () => {
  const ds = dataset([{ bbox: [10, 10, 40, 40], category_id: 1 }]);
  const res = [det([10, 10, 40, 40], 0.9, 2)];
  assert.equal(evaluateDetections(ds, res).AP, 0);
  near(evaluateDetections(ds, res, { useCats: false }).AP, 1);
});

test('an image without gt contributes its detections as false positives', () => {
  const ds = dataset([{ bbox: [10, 10, 40, 40] }], 2);
  const m = evaluateDetections(ds, [det([10, 10, 40, 40], 0.5), det([10, 10, 40, 40], 0.9, 1, 2)]);
  assert.ok(Math.abs(m.AP50 - 0.5) < 1e-12);
});

test('results of categories the dataset does not have are dropped, as pycocotools does', () => {
  const ds = dataset([{ bbox: [10, 10, 40, 40] }]);
  const with99 = evaluateDetections(ds, [det([60, 60, 30, 30], 0.99, 99), det([10, 10, 40, 40], 0.8)]);
  near(with99.AP, 1);
});

test('no detections at all: 0 for categories with gt', () => {
  const m: CocoMetrics = evaluateDetections(dataset([{ bbox: [10, 10, 40, 40] }]), []);
  assert.equal(m.AP, 0);
  assert.equal(m.AR100, 0);
  assert.equal(m.APs, -1);
});

test('results for an image the dataset lacks fail like pycocotools loadRes', () => {
  assert.throws(() => evaluateDetections(dataset([]), [det([0, 0, 1, 1], 0.5, 1, 7)]), (e: Error & { code?: string }) =>
    e.code === 'RS_ERR_EVAL_MISMATCH' && /results\[0\]: image_id 7 is not an image of hand/.test(e.message));
});

test('options are checked', () => {
  assert.throws(() => evaluateDetections(dataset([]), [], { maxDets: [1, 10] }), /maxDets: expected three positive integers/);
  assert.throws(() => evaluateDetections(dataset([]), [], { iouThrs: [1.5] }), /iouThrs: expected/);
});

test('formatMetrics prints pycocotools lines (-1 as -1.000, ties rounded half to even)', () => {
  const m = { AP: 0.0625, AP50: -1, AP75: 0.1875, APs: 0, APm: 1, APl: 0.5, AR1: 0.3125, AR10: 0.12349, AR100: 0.9996, ARs: 0, ARm: 0, ARl: 0 };
  const lines = formatMetrics(m).split('\n');
  assert.equal(lines.length, 12);
  assert.equal(lines[0], ' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.062');
  assert.equal(lines[1], ' Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = -1.000');
  assert.equal(lines[2], ' Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ] = 0.188');
  assert.equal(lines[6], ' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.312');
  assert.equal(lines[7], ' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ] = 0.123');
  assert.equal(lines[8], ' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000');
  assert.equal(lines[9], ' Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.000');
});
