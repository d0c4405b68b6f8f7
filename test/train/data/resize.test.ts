import assert from 'node:assert/strict';
import { test } from 'node:test';
import { padTo, resizeBoxes, resizeShape } from '../../../src/train/data/resize.ts';

test('resizeShape: short side to minSize unless the long side would pass maxSize (torchvision floor)', () => {
  // 480x640 (h x w), 800/1333: scale = min(800/480, 1333/640) = 1.6667; w = floor(640 * 1.6667) = 1066.
  assert.deepEqual(resizeShape(480, 640, 800, 1333), { scale: 800 / 480, height: 800, width: 1066 });
  // 100x1000: 800/100 = 8 would make the long side 8000; 1333/1000 = 1.333 wins; h = floor(133.3) = 133.
  assert.deepEqual(resizeShape(100, 1000, 800, 1333), { scale: 1.333, height: 133, width: 1333 });
  // Portrait 640x427: scale = 800/427 = 1.8735; h = floor(640 * 1.8735) = floor(1199.06) = 1199. The width
  // is 799, not 800: torchvision's scale is float32 (1/427 rounded, times 800, rounded), and
  // 427 * 1.87353623 = 799.99997 floors to 799 (checked with torchvision 0.14's _resize_image_and_masks).
  const r = resizeShape(640, 427, 800, 1333);
  assert.equal(r.width, 799);
  assert.equal(r.height, 1199);
  // Downscaling: 1200x1600 to 600/1000: scale = 0.5, 600x800.
  assert.deepEqual(resizeShape(1200, 1600, 600, 1000), { scale: 0.5, height: 600, width: 800 });
});

test("resizeShape: 'round' rounds half up as detectron2's int(x + 0.5)", () => {
  // 333x500 to 600: scale = 600/333 = 1.8018; w = 500 * 1.8018 = 900.9 -> floor 900, round 901.
  assert.equal(resizeShape(333, 500, 600, 1000, 'floor').width, 900);
  assert.equal(resizeShape(333, 500, 600, 1000, 'round').width, 901);
});

test('resizeShape rejects bad sizes with RS_ERR_RESIZE', () => {
  assert.throws(() => resizeShape(0, 10, 800, 1333), { code: 'RS_ERR_RESIZE', message: /image size 10x0/ });
  assert.throws(() => resizeShape(10, 10, 800, 400), { code: 'RS_ERR_RESIZE', message: /minSize 800 \/ maxSize 400/ });
});

test('resizeBoxes scales x by the width ratio and y by the height ratio', () => {
  assert.deepEqual(resizeBoxes([[10, 20, 30, 40]], 100, 200, 50, 300), [[15, 10, 45, 20]]);
  assert.deepEqual(resizeBoxes([], 1, 1, 2, 2), []);
});

test('padTo rounds up to the divisor', () => {
  assert.deepEqual([padTo(1, 32), padTo(32, 32), padTo(33, 32), padTo(800, 32), padTo(1066, 32)], [32, 32, 64, 800, 1088]);
});
