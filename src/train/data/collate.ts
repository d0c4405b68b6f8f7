// Stacks resized images into one NHWC batch padded (bottom and right, with zeros) to the largest
// height and width in the batch, rounded up to a multiple of `sizeDivisible` (32: FPN level P5).

import { padTo } from './resize.ts';

export interface Sample {
  imageId: number;
  /** height x width x 3 RGB bytes of the resized (and maybe flipped) image. */
  rgb: Uint8Array;
  height: number;
  width: number;
  /** Resize factor from the original image. */
  scale: number;
  flipped: boolean;
  /** [x1, y1, x2, y2] in the resized image. */
  boxes: number[][];
  /** Contiguous class indices 0..C-1. */
  labels: number[];
}

export interface TrainBatch {
  /** N x H x W x 3, RGB 0..255 (Float32Array holds the same values as floats). */
  images: Uint8Array | Float32Array;
  batchShape: [number, number, number, 3];
  targets: { boxes: number[][]; labels: number[] }[];
  /** height/width: the resized image inside the padded canvas. */
  meta: { imageId: number; scale: number; height: number; width: number; flipped: boolean }[];
}

export function collate(samples: Sample[], sizeDivisible = 32, dtype: 'uint8' | 'float32' = 'uint8'): TrainBatch {
  const H = padTo(Math.max(...samples.map((s) => s.height)), sizeDivisible);
  const W = padTo(Math.max(...samples.map((s) => s.width)), sizeDivisible);
  const n = samples.length;
  const images = dtype === 'uint8' ? new Uint8Array(n * H * W * 3) : new Float32Array(n * H * W * 3);
  samples.forEach((s, i) => {
    const rowBytes = s.width * 3;
    for (let y = 0; y < s.height; y++) {
      const src = s.rgb.subarray(y * rowBytes, (y + 1) * rowBytes);
      images.set(src, ((i * H + y) * W) * 3);
    }
  });
  return {
    images,
    batchShape: [n, H, W, 3],
    targets: samples.map((s) => ({ boxes: s.boxes, labels: s.labels })),
    meta: samples.map((s) => ({ imageId: s.imageId, scale: s.scale, height: s.height, width: s.width, flipped: s.flipped })),
  };
}
