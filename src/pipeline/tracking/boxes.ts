// The tracker's boxes: [x1, y1, x2, y2] in source pixels, as in detection events (their IoU: detectionFilter.ts).
export type Box = readonly [number, number, number, number] | [number, number, number, number];
