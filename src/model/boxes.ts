// Pure box geometry on plain arrays (x1, y1, x2, y2): the slow, obviously correct references
// that tests hold the tensor code to.

export type Box = [number, number, number, number];

export function area(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

export function iou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / (area(a) + area(b) - inter);
}

/**
 * Class-wise greedy NMS (torchvision.ops.batched_nms semantics): within a class, a box is
 * suppressed when its IoU with a kept, higher-scoring box is > iouThresh. Returns kept indices
 * sorted by decreasing score.
 */
export function batchedNmsReference(boxes: Box[], scores: number[], classes: number[], iouThresh: number): number[] {
  const order = scores.map((_, i) => i).sort((i, j) => scores[j] - scores[i] || i - j);
  const kept: number[] = [];
  for (const i of order) {
    if (kept.every((k) => classes[k] !== classes[i] || iou(boxes[k], boxes[i]) <= iouThresh)) kept.push(i);
  }
  return kept;
}
