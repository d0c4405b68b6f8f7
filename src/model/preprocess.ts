// Input policy: resize (short side to minSize, long side at most maxSize), normalize, pad to a
// multiple of sizeDivisible. Follows torchvision's GeneralizedRCNNTransform (normalize, then
// bilinear resize with half-pixel centres, then zero padding) and detectron2's size rounding.
import * as tf from '@tensorflow/tfjs-core';
import type { InputConfig } from './config.ts';

export interface RgbImage {
  /** Interleaved RGB bytes, height x width x 3. */
  data: Uint8Array;
  width: number;
  height: number;
}

export interface PreparedBatch {
  /** [N, H, W, 3] normalized and padded. */
  input: tf.Tensor4D;
  /** Per image: size of the resized image inside the padded canvas, and of the source. */
  resized: [number, number][];
  source: [number, number][];
}

const f32 = Math.fround;

/** Resized [height, width] of a source image under the input policy. */
export function resizedSize(cfg: InputConfig, height: number, width: number): [number, number] {
  if (cfg.sizeRounding === 'floor') {
    // torchvision: scale computed in float32, output = floor(size * scale) in double
    const scale = Math.min(f32(cfg.minSize / f32(Math.min(height, width))), f32(cfg.maxSize / f32(Math.max(height, width))));
    return [Math.floor(height * f32(scale)), Math.floor(width * f32(scale))];
  }
  // detectron2 ResizeShortestEdge
  const scale = cfg.minSize / Math.min(height, width);
  let [h, w] = height < width ? [cfg.minSize, scale * width] : [scale * height, cfg.minSize];
  if (Math.max(h, w) > cfg.maxSize) {
    const s = cfg.maxSize / Math.max(h, w);
    h *= s;
    w *= s;
  }
  return [Math.trunc(h + 0.5), Math.trunc(w + 0.5)];
}

export function paddedSize(cfg: InputConfig, sizes: [number, number][]): [number, number] {
  const d = cfg.sizeDivisible;
  const h = Math.max(...sizes.map((s) => s[0]));
  const w = Math.max(...sizes.map((s) => s[1]));
  return [Math.ceil(h / d) * d, Math.ceil(w / d) * d];
}

/** Per-channel affine that maps RGB bytes to the model's input: x * a + b, in model channel order. */
export function normalization(cfg: InputConfig): { mul: number[]; add: number[]; bgr: boolean } {
  const range = cfg.pixelRange === 'unit' ? 1 / 255 : 1;
  const mul = [0, 1, 2].map((c) => range / cfg.std[c]);
  const add = [0, 1, 2].map((c) => -cfg.mean[c] / cfg.std[c]);
  return { mul, add, bgr: cfg.channelOrder === 'BGR' };
}

/** [H, W, 3] uint8 RGB -> normalized float32 in the model's channel order. */
export function normalize(rgb: tf.Tensor3D | tf.Tensor4D, cfg: InputConfig): tf.Tensor {
  return tf.tidy(() => {
    let x = tf.cast(rgb, 'float32');
    if (cfg.channelOrder === 'BGR') x = tf.reverse(x, -1);
    if (cfg.pixelRange === 'unit') x = tf.div(x, 255);
    return tf.div(tf.sub(x, tf.tensor1d(cfg.mean)), tf.tensor1d(cfg.std));
  });
}

/** Images of any sizes -> one padded, normalized batch. */
export function prepareImages(images: RgbImage[], cfg: InputConfig): PreparedBatch {
  const resized = images.map((im) => resizedSize(cfg, im.height, im.width));
  const [ph, pw] = paddedSize(cfg, resized);
  const input = tf.tidy(() => {
    const each = images.map((im, i) => {
      const x = normalize(tf.tensor3d(im.data, [im.height, im.width, 3], 'int32'), cfg) as tf.Tensor3D;
      const [h, w] = resized[i];
      const r = h === im.height && w === im.width ? x : tf.image.resizeBilinear(x, [h, w], false, true);
      return tf.pad(r, [
        [0, ph - h],
        [0, pw - w],
        [0, 0],
      ]);
    });
    return tf.stack(each) as tf.Tensor4D;
  });
  return { input, resized, source: images.map((im) => [im.height, im.width]) };
}

/**
 * Frames that ffmpeg already scaled and padded to one canvas: [N, H, W, 3] bytes -> normalized batch.
 * The canvas must be a multiple of sizeDivisible.
 */
export function prepareCanvases(data: Uint8Array, n: number, height: number, width: number, cfg: InputConfig): tf.Tensor4D {
  return tf.tidy(() => normalize(tf.tensor4d(data, [n, height, width, 3], 'int32'), cfg) as tf.Tensor4D);
}
