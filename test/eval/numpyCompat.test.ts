import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linspace, pairwiseSum, pyFixed } from '../../src/eval/numpyCompat.ts';
import { boxIou } from '../../src/eval/boxIou.ts';

test('linspace reproduces numpy: np.linspace(.5, .95, 10)[8] is 0.8999999999999999', () => {
  const t = linspace(0.5, 0.95, 10);
  assert.equal(t.length, 10);
  assert.equal(t[8], 0.8999999999999999); // i * step + start, not 0.9
  assert.equal(t[5], 0.75); // summarize() finds AP75 by equality
  assert.equal(t[9], 0.95);
  const r = linspace(0, 1, 101);
  assert.equal(r[1], 0.01);
  assert.equal(r[100], 1);
});

test('pairwiseSum agrees with a plain sum up to rounding (bit equality with np.mean is tested live)', () => {
  const xs = Array.from({ length: 1000 }, (_, i) => 0.1 * ((i % 13) + 1) + 1e-3 * i);
  let naive = 0;
  for (const x of xs) naive += x;
  assert.ok(Math.abs(pairwiseSum(xs) - naive) < 1e-9);
  assert.equal(pairwiseSum([1, 2, 3]), 6);
  assert.equal(pairwiseSum([]), 0);
});

test("pyFixed matches Python's format: nearest, exact ties to even", () => {
  // Ties are only exact for binary fractions such as k/16: 0.0625 -> 0.062, 0.1875 -> 0.188.
  assert.deepEqual([0.0625, 0.1875, 0.3125, -0.0625, 0.5, 0.12349, 0.9996, -1, 0].map((x) => pyFixed(x, 3)),
    ['0.062', '0.188', '0.312', '-0.062', '0.500', '0.123', '1.000', '-1.000', '0.000']);
  // 0.125 -> '0.12' (tie, 2 even); 0.375 -> '0.38' (tie, 7 odd rounds up); 0.95 is below .95 in binary
  assert.deepEqual([0.125, 0.375, 0.95, 0.5].map((x) => pyFixed(x, 2)), ['0.12', '0.38', '0.95', '0.50']);
});

test('boxIou is w*h based (no +1) and divides by the detection area for crowd regions', () => {
  const out = new Float64Array(4);
  // dets: [0,0,10,10] and [5,0,10,10]; gts: [0,0,10,10] regular, [0,0,20,20] crowd
  boxIou([0, 0, 10, 10, 5, 0, 10, 10], 2, [0, 0, 10, 10, 0, 0, 20, 20], 2, [0, 1], out);
  assert.deepEqual(Array.from(out), [1, 1, 50 / 150, 1]);
  boxIou([0, 0, 10, 10], 1, [10, 0, 5, 5], 1, [0], out); // touching edges: no overlap
  assert.equal(out[0], 0);
});
