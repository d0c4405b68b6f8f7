// crossClassDuplicates: one object reported under several classes, counted per image above a score threshold.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { crossClassDuplicates } from '../../src/eval/crossClassDuplicates.ts';
import type { CocoResult } from '../../src/eval/cocoResults.ts';

const r = (image_id: number, category_id: number, bbox: [number, number, number, number], score: number): CocoResult => ({ image_id, category_id, bbox, score });

it('counts a box that overlaps a higher-scoring box of another class, once, in the same image only', () => {
  const results = [
    r(0, 1, [0, 0, 10, 10], 0.9),
    r(0, 2, [1, 0, 10, 10], 0.5), // IoU 90/110 = 0.82 with the first, another class: a duplicate
    r(0, 3, [0, 1, 10, 10], 0.4), // overlaps both higher ones: still one duplicate
    r(0, 1, [1, 1, 10, 10], 0.35), // same class as the first (NMS's business), but IoU 90/110 with the 0.5 class-2 box: a duplicate
    r(0, 2, [5, 0, 10, 10], 0.6), // IoU 50/150 = 0.33 with the first: below 0.5, not a duplicate
    r(1, 2, [0, 0, 10, 10], 0.8), // another image: the class-1 box of image 0 does not count
    r(0, 4, [0, 0, 10, 10], 0.2), // under the threshold: not considered
  ];
  assert.deepEqual(crossClassDuplicates(results), { considered: 6, duplicates: 3, minScore: 0.3, iou: 0.5 });
  assert.equal(crossClassDuplicates(results, 0.1).duplicates, 4, 'at a lower threshold the 0.2 box (IoU 1 with the 0.9 one) counts too');
  assert.equal(crossClassDuplicates(results, 0.1, 0.85).duplicates, 1, 'above IoU 0.85 only the 0.2 box is left (the others overlap at 0.82)');
  assert.equal(crossClassDuplicates(results.filter((d) => d.category_id === 1)).duplicates, 0, 'one class: never');
});
