// The subset of the COCO detection format (https://cocodataset.org/#format-data) we read and write.
// bbox is [x, y, width, height] in pixels of the original image, (x, y) the top-left corner.

import type { CocoAnnotation as EvalAnnotation, CocoCategory, CocoImage as EvalImage } from '../../eval/cocoDataset.ts';

// The same records evaluation reads (src/eval/cocoDataset.ts), with what training needs on top.
export interface CocoImage extends EvalImage {
  file_name: string;
}

export interface CocoAnnotation extends EvalAnnotation {
  /** Extra fields written by the synthetic generator (ignored by COCO tools). */
  visible_fraction?: number;
  track_id?: number;
}

export type { CocoCategory };

export interface CocoFile {
  info?: Record<string, unknown>;
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}
