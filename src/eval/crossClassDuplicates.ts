// The same object reported under two classes: detections at or above a score threshold that overlap a
// higher-scoring detection of another class in the same image (IoU > 0.5, the NMS threshold). Class-wise NMS
// (torchvision's) never removes these; a well-trained model does not produce them above the live threshold.
import { boxIou } from './boxIou.ts';
import type { CocoResult } from './cocoResults.ts';

export interface CrossClassDuplicates {
  /** Detections with score >= minScore. */
  considered: number;
  /** Of those, the ones overlapping a higher-scoring detection of another class. */
  duplicates: number;
  minScore: number;
  iou: number;
}

export function crossClassDuplicates(results: readonly CocoResult[], minScore = 0.3, iou = 0.5): CrossClassDuplicates {
  const byImage = new Map<number, CocoResult[]>();
  for (const r of results) {
    if (r.score < minScore) continue;
    const list = byImage.get(r.image_id) ?? [];
    list.push(r);
    byImage.set(r.image_id, list);
  }
  let considered = 0;
  let duplicates = 0;
  const one = new Float64Array(1);
  for (const list of byImage.values()) {
    list.sort((a, b) => b.score - a.score);
    considered += list.length;
    list.forEach((d, i) => {
      const dup = list.slice(0, i).some((h) => {
        if (h.category_id === d.category_id || h.score === d.score) return false;
        boxIou(d.bbox, 1, h.bbox, 1, [0], one);
        return one[0] > iou;
      });
      if (dup) duplicates++;
    });
  }
  return { considered, duplicates, minScore, iou };
}
