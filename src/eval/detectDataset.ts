// Runs a model over a COCO dataset's images and returns its detections as COCO results, for evaluation.
import { join } from 'node:path';
import { readRgbImage } from '../io/image.ts';
import type { ModelConfig } from '../model/config.ts';
import { createDetector } from '../model/detector.ts';
import type { CocoDataset } from './cocoDataset.ts';
import type { CocoResult } from './cocoResults.ts';

/** Model class index -> COCO category id: identity when the model numbers classes by id (torchvision,
 *  the demo model), else the sorted categories in order (detectron2's contiguous 80). */
export function categoryMapper(numClasses: number, gt: CocoDataset): (classId: number) => number {
  const ids = gt.categories.map((c) => c.id).sort((a, b) => a - b);
  if (numClasses === ids.length && ids[ids.length - 1] >= numClasses) return (k) => ids[k];
  return (k) => k;
}

export interface DetectDatasetOptions {
  /** Images per detect() call (default 1). */
  batch?: number;
  backend?: string;
  /** Overrides of the model's post-processing (e.g. a lower scoreThresh). */
  postprocess?: Partial<ModelConfig['postprocess']>;
  /** Called after each batch with the number of images done. */
  onProgress?: (done: number, total: number) => void;
}

export async function detectDataset(gt: CocoDataset, modelDir: string, imagesDir: string, opts: DetectDatasetOptions = {}): Promise<CocoResult[]> {
  const batch = opts.batch ?? 1;
  const detector = await createDetector({ model: modelDir, backend: opts.backend, postprocess: opts.postprocess });
  const toCat = categoryMapper(detector.config.numClasses, gt);
  const results: CocoResult[] = [];
  try {
    for (let i = 0; i < gt.images.length; i += batch) {
      const metas = gt.images.slice(i, i + batch);
      const images = await Promise.all(metas.map((m) => readRgbImage(join(imagesDir, m.file_name ?? `${m.id}.jpg`))));
      const dets = await detector.detect(images);
      metas.forEach((m, j) => {
        for (const d of dets[j]) {
          const [x1, y1, x2, y2] = d.box;
          results.push({ image_id: m.id, category_id: toCat(d.classId), bbox: [x1, y1, x2 - x1, y2 - y1], score: d.score });
        }
      });
      opts.onProgress?.(Math.min(i + batch, gt.images.length), gt.images.length);
    }
  } finally {
    detector.dispose();
  }
  return results;
}
