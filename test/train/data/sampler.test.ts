import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchIndices, epochOrder } from '../../../src/train/data/sampler.ts';

test('epochOrder: a permutation fixed by (seed, epoch), different across epochs and seeds', () => {
  const a = epochOrder(50, 7, 0);
  assert.deepEqual([...a].sort((x, y) => x - y), [...Array(50).keys()]);
  assert.deepEqual(epochOrder(50, 7, 0), a);
  assert.notDeepEqual(epochOrder(50, 7, 1), a);
  assert.notDeepEqual(epochOrder(50, 8, 0), a);
  assert.deepEqual(epochOrder(5, 7, 3, false), [0, 1, 2, 3, 4]);
});

test('batchIndices keeps or drops the short last batch', () => {
  assert.deepEqual(batchIndices([0, 1, 2, 3, 4], 2), [[0, 1], [2, 3], [4]]);
  assert.deepEqual(batchIndices([0, 1, 2, 3, 4], 2, true), [[0, 1], [2, 3]]);
});
