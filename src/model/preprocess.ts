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
export function resizedSize(cfg: Pick<InputConfig, 'minSize' | 'maxSize' | 'sizeRounding'>, height: number, width: number): [number, number] {
  if (cfg.sizeRounding === 'floor') {
    // torchvision: scale = min(min_size / short, max_size / long) on float32 tensors, where PyTorch computes
    // `number / tensor` as reciprocal(tensor) * number (one float32 rounding more than a division: 533/700
    // gives 0.76142853, not 0.76142859, and 700 px then resizes to 532, not 533); output = floor(size * scale).
    const rdiv = (num: number, den: number) => f32(f32(1 / den) * num);
    const scale = Math.min(rdiv(cfg.minSize, Math.min(height, width)), rdiv(cfg.maxSize, Math.max(height, width)));
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

/**
 * Source rows (or columns) and weights of a bilinear resize from `inSize` to `outSize`, computed exactly as
 * PyTorch's CPU kernel does (F.interpolate, align_corners=False): scale = in / out rounded to float32,
 * src = max(scale * (dst + 0.5) - 0.5, 0) in double, i0 = floor(src), i1 = i0 + 1 clamped, lambda = src - i0
 * (found by probing torch 1.13 with alternating 0/1 inputs, which read the weights out directly).
 * tfjs's own resizeBilinear uses a double-precision scale, which moves outputs by up to ~1e-4.
 */
export function bilinearTaps(inSize: number, outSize: number): { i0: Int32Array; i1: Int32Array; l0: Float32Array; l1: Float32Array } {
  const scale = f32(inSize / outSize);
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const l0 = new Float32Array(outSize);
  const l1 = new Float32Array(outSize);
  for (let d = 0; d < outSize; d++) {
    const src = Math.max(scale * (d + 0.5) - 0.5, 0); // a float32 scale, the rest in double (CPU acc_type)
    const i = Math.floor(src);
    const lambda = Math.min(Math.max(src - i, 0), 1);
    i0[d] = i;
    i1[d] = i < inSize - 1 ? i + 1 : i;
    l1[d] = lambda;
    l0[d] = 1 - lambda;
  }
  return { i0, i1, l0, l1 };
}

/** Bilinear resize of an [H, W, C] float tensor, matching PyTorch (see bilinearTaps). */
export function resizeBilinearLikeTorch(x: tf.Tensor3D, size: [number, number]): tf.Tensor3D {
  return tf.tidy(() => {
    const [h, w] = x.shape;
    const ty = bilinearTaps(h, size[0]);
    const tx = bilinearTaps(w, size[1]);
    const rows = tf.add(
      tf.mul(tf.gather(x, tf.tensor1d(ty.i0, 'int32'), 0), tf.tensor3d(ty.l0, [size[0], 1, 1])),
      tf.mul(tf.gather(x, tf.tensor1d(ty.i1, 'int32'), 0), tf.tensor3d(ty.l1, [size[0], 1, 1])),
    );
    return tf.add(
      tf.mul(tf.gather(rows, tf.tensor1d(tx.i0, 'int32'), 1), tf.tensor3d(tx.l0, [1, size[1], 1])),
      tf.mul(tf.gather(rows, tf.tensor1d(tx.i1, 'int32'), 1), tf.tensor3d(tx.l1, [1, size[1], 1])),
    ) as tf.Tensor3D;
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
      const r = h === im.height && w === im.width ? x : resizeBilinearLikeTorch(x, [h, w]);
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
  return tf.tensor4d(normalizeBytes(data, cfg), [n, height, width, 3], 'float32');
}

/**
 * normalize() of RGB bytes, bit for bit, by a lookup table per channel (a byte has 256 values): every step is
 * rounded to float32 (Math.fround of a double result is the correctly rounded float32 result of +, -, / on float32
 * inputs), as TensorFlow's kernels compute. On a batch of four 640x384 frames this takes a few ms; the Cast, Sub and broadcast RealDiv kernels
 * took 21 ms of a 248 ms batch (tf.profile, native backend).
 */
export function normalizeBytes(data: Uint8Array, cfg: InputConfig): Float32Array {
  const out = new Float32Array(data.length);
  const bgr = cfg.channelOrder === 'BGR';
  const unit = cfg.pixelRange === 'unit';
  const [m0, m1, m2] = cfg.mean.map(f32);
  const [s0, s1, s2] = cfg.std.map(f32);
  // a table per output channel: 256 byte values -> normalized float32
  const table = (mean: number, std: number, from: number) => {
    const t = new Float32Array(256);
    for (let b = 0; b < 256; b++) t[b] = f32((unit ? f32(b / 255) : b) - mean) / std;
    return { t, from };
  };
  const ch = [table(m0, s0, bgr ? 2 : 0), table(m1, s1, 1), table(m2, s2, bgr ? 0 : 2)];
  const [t0, t1, t2] = ch.map((c) => c.t);
  const [f0, f1, f2] = ch.map((c) => c.from);
  for (let i = 0; i < data.length; i += 3) {
    out[i] = t0[data[i + f0]];
    out[i + 1] = t1[data[i + f1]];
    out[i + 2] = t2[data[i + f2]];
  }
  return out;
}
