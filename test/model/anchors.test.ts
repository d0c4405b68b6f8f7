// Anchors against torchvision's AnchorGenerator (test/fixtures/torchvision/anchors.json), and the
// detectron2 convention worked out by hand from DefaultAnchorGenerator's formulas.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cellAnchors, generateAnchors, levelStrides } from '../../src/model/anchors.ts';
import { defaultModelConfig } from '../../src/model/config.ts';

const fx = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'torchvision', 'anchors.json'), 'utf8'));
const tv = defaultModelConfig().anchors;

describe('anchors (torchvision convention)', () => {
  it('cell anchors equal torchvision, bit for bit', () => {
    fx.cell_anchors.forEach((cell: number[][], l: number) => assert.deepEqual(Array.from(cellAnchors(tv, l)), cell.flat(), `level ${l}`));
  });

  for (const image of fx.images) {
    it(`all anchors of a ${image.padded_size.join('x')} input equal torchvision (strides = padded // feature)`, () => {
      const featureSizes = image.levels.map((l: { feature_size: [number, number] }) => l.feature_size);
      assert.deepEqual(levelStrides(tv, image.padded_size, featureSizes), image.levels.map((l: { stride: number[] }) => l.stride));
      const all = generateAnchors(tv, image.padded_size, featureSizes);
      let offset = 0;
      for (const level of image.levels) {
        const mine = all.subarray(offset * 4, (offset + level.num_anchors) * 4);
        offset += level.num_anchors;
        const sums = [0, 1, 2, 3].map((c) => mine.filter((_, i) => i % 4 === c).reduce((a, b) => a + b, 0));
        sums.forEach((s, c) => assert.ok(Math.abs(s - level.sum[c]) <= 1e-6 * Math.max(1, Math.abs(level.sum[c])), `level ${level.level} coord ${c} sum ${s} vs ${level.sum[c]}`));
        if (level.anchors) assert.deepEqual(Array.from(mine), level.anchors.flat());
        else level.sample_indices.forEach((idx: number, k: number) => assert.deepEqual(Array.from(mine.subarray(idx * 4, idx * 4 + 4)), level.sample_anchors[k]));
      }
      assert.equal(offset * 4, all.length);
    });
  }
});

describe('anchors (detectron2 convention)', () => {
  const d2 = defaultModelConfig({ anchors: { convention: 'detectron2' } }).anchors;
  it('uses float sizes, size-major order, w = sqrt(area / ar), h = ar * w, no rounding', () => {
    const cell = cellAnchors(d2, 0);
    // size 32 * 2^(1/3) = 40.3175..., ratio 0.5: w = sqrt(40.3175^2 / 0.5) = 57.018..., h = 28.509...
    const size = 32 * 2 ** (1 / 3);
    const w = Math.sqrt((size * size) / 0.5);
    const i = 3; // second size, first ratio (size-major)
    assert.ok(Math.abs(cell[i * 4 + 2] - Math.fround(w / 2)) < 1e-5);
    assert.ok(Math.abs(cell[i * 4 + 3] - Math.fround((0.5 * w) / 2)) < 1e-5);
  });
  it('has fixed strides 8..128 whatever the input size', () => {
    assert.deepEqual(levelStrides(d2, [64, 96], [[8, 12], [4, 6], [2, 3], [1, 2], [1, 1]]).map((s) => s[0]), [8, 16, 32, 64, 128]);
  });
});
