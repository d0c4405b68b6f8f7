// IoU of [x, y, w, h] boxes exactly as pycocotools' maskUtils.iou computes it for boxes (bbIou in
// maskApi.c): areas are w*h with no +1, and for a crowd ground truth the union is the detection's
// own area, so a detection inside a crowd region scores 1.

/**
 * IoU between D detections and G ground truths, written row-major into out[d * G + g].
 * Boxes are packed [x, y, w, h] per entry in `dt` and `gt`.
 */
export function boxIou(dt: ArrayLike<number>, D: number, gt: ArrayLike<number>, G: number, crowd: ArrayLike<number>, out: Float64Array): void {
  for (let g = 0; g < G; g++) {
    const gx = gt[4 * g], gy = gt[4 * g + 1], gw = gt[4 * g + 2], gh = gt[4 * g + 3];
    const ga = gw * gh;
    const isCrowd = crowd[g] !== 0;
    for (let d = 0; d < D; d++) {
      const dx = dt[4 * d], dy = dt[4 * d + 1], dw = dt[4 * d + 2], dh = dt[4 * d + 3];
      const da = dw * dh;
      out[d * G + g] = 0;
      const w = Math.min(dw + dx, gw + gx) - Math.max(dx, gx);
      if (w <= 0) continue;
      const h = Math.min(dh + dy, gh + gy) - Math.max(dy, gy);
      if (h <= 0) continue;
      const i = w * h;
      const u = isCrowd ? da : da + ga - i;
      out[d * G + g] = i / u;
    }
  }
}
