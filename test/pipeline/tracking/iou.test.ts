// The IoU the tracker associates by, on hand-worked boxes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { iou } from '../../../src/pipeline/tracking/iou.ts';

describe('iou', () => {
  it('10x10 boxes offset by 5 overlap 50 of 150; touching edges do not overlap', () => {
    assert.equal(iou([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
    assert.equal(iou([0, 0, 10, 10], [10, 0, 20, 10]), 0);
    assert.equal(iou([0, 0, 10, 10], [2, 2, 8, 8]), 36 / 100, 'a box inside another');
    assert.equal(iou([0, 0, 0, 10], [0, 0, 0, 10]), 0, 'empty boxes');
  });
});
