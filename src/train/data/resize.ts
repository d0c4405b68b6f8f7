// Resize math for training inputs, as torchvision's GeneralizedRCNNTransform and detectron2's
// ResizeShortestEdge do it: scale = min(minSize / short side, maxSize / long side); the new size is
// floor(side * scale) (torchvision) or round(side * scale) (detectron2: int(x + 0.5)).
// Boxes scale by the per-axis ratio of new to old size (torchvision resize_boxes), so they stay
// exactly on the resized image even though the rounded size is not exactly side * scale.

import { resizedSize } from '../../model/preprocess.ts';

export interface ResizedShape {
  scale: number;
  height: number;
  width: number;
}

export function resizeShape(height: number, width: number, minSize: number, maxSize: number, rounding: 'floor' | 'round' = 'floor'): ResizedShape {
  if (!(height > 0 && width > 0)) {
    throw Object.assign(new Error(`resize: image size ${width}x${height} is not positive`), { code: 'RS_ERR_RESIZE' });
  }
  if (!(minSize > 0 && maxSize >= minSize)) {
    throw Object.assign(new Error(`resize: minSize ${minSize} / maxSize ${maxSize} need 0 < minSize <= maxSize`), { code: 'RS_ERR_RESIZE' });
  }
  // the same sizes as inference (src/model/preprocess.ts reproduces torchvision's float32 arithmetic)
  const [h, w] = resizedSize({ minSize, maxSize, sizeRounding: rounding }, height, width);
  const scale = Math.min(minSize / Math.min(height, width), maxSize / Math.max(height, width));
  return { scale, height: Math.max(1, h), width: Math.max(1, w) };
}

/** Boxes [x1, y1, x2, y2] from an image of size (h0, w0) to one of size (h1, w1). */
export function resizeBoxes(boxes: number[][], h0: number, w0: number, h1: number, w1: number): number[][] {
  const rx = w1 / w0;
  const ry = h1 / h0;
  return boxes.map(([x1, y1, x2, y2]) => [x1 * rx, y1 * ry, x2 * rx, y2 * ry]);
}

/** Rounds `n` up to a multiple of `divisor`. */
export function padTo(n: number, divisor: number): number {
  return Math.ceil(n / divisor) * divisor;
}
