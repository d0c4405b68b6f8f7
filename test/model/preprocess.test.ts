// Canvas normalization in JS (normalizeBytes, the streaming path) against the tensor normalize() it replaces:
// bit for bit, on every byte value in every channel, for torchvision's input (RGB, [0,1], ImageNet mean/std) and
// detectron2's (BGR, [0,255], its mean and std).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/backend/select.ts';
import { defaultModelConfig, type InputConfig } from '../../src/model/config.ts';
import { normalize, normalizeBytes, prepareCanvases } from '../../src/model/preprocess.ts';

const torchvision = defaultModelConfig().input;
const detectron2: InputConfig = { ...torchvision, channelOrder: 'BGR', pixelRange: 'byte', mean: [103.53, 116.28, 123.675], std: [57.375, 57.12, 58.395] };

/** Every byte value in each channel, in shifted order, then random pixels: [2, 16, 40, 3]. */
function bytes(): Uint8Array {
  const data = new Uint8Array(2 * 16 * 40 * 3);
  let s = 7;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = i < 768 ? (Math.floor(i / 3) + 85 * (i % 3)) % 256 : s >>> 24;
  }
  return data;
}

describe('canvas normalization', () => {
  for (const [name, cfg] of [['torchvision (RGB, unit range)', torchvision], ['detectron2 (BGR, byte range)', detectron2]] as const) {
    it(`equals the tensor normalize() bit for bit: ${name}`, async () => {
      await selectBackend();
      const data = bytes();
      const expected = tf.tidy(() => normalize(tf.tensor4d(data, [2, 16, 40, 3], 'int32'), cfg));
      const want = (await expected.data()) as Float32Array;
      expected.dispose();
      const got = normalizeBytes(data, cfg);
      assert.equal(got.length, want.length);
      const differ = got.findIndex((v, i) => !Object.is(v, want[i]));
      assert.equal(differ, -1, `element ${differ}: ${got[differ]} vs ${want[differ]}`);
      const t = prepareCanvases(data, 2, 16, 40, cfg);
      assert.deepEqual([t.shape, t.dtype], [[2, 16, 40, 3], 'float32']);
      assert.deepEqual(await t.data(), want);
      t.dispose();
    });
  }
});
