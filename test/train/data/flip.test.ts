import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flipBoxesHorizontal, flipImageHorizontal } from '../../../src/train/data/flip.ts';

test('a flipped box covers exactly the flipped pixels', () => {
  const w = 9, h = 4;
  const rgb = new Uint8Array(w * h * 3);
  // Paint the box x in [1, 4), y in [1, 3) white.
  const box = [1, 1, 4, 3];
  for (let y = 1; y < 3; y++) for (let x = 1; x < 4; x++) rgb.fill(255, (y * w + x) * 3, (y * w + x) * 3 + 3);
  const flipped = flipImageHorizontal(rgb, w, h);
  const [fb] = flipBoxesHorizontal([box], w);
  assert.deepEqual(fb, [5, 1, 8, 3]);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inBox = x >= fb[0] && x < fb[2] && y >= fb[1] && y < fb[3];
      assert.equal(flipped[(y * w + x) * 3], inBox ? 255 : 0, `pixel (${x}, ${y})`);
    }
  }
});

test('flipping twice is the identity and channels stay in order', () => {
  const w = 5, h = 3;
  const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 251);
  const once = flipImageHorizontal(rgb, w, h);
  assert.deepEqual([...once.subarray(0, 3)], [...rgb.subarray((w - 1) * 3, w * 3)]); // first pixel = old last pixel, RGB kept
  assert.deepEqual(flipImageHorizontal(once, w, h), rgb);
  assert.deepEqual(flipBoxesHorizontal(flipBoxesHorizontal([[0.5, 1, 2.25, 3]], w), w), [[0.5, 1, 2.25, 3]]);
});
