// The subset of the COCO detection format (https://cocodataset.org/#format-data) we read and write.
// bbox is [x, y, width, height] in pixels of the original image, (x, y) the top-left corner.

export interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  bbox: [number, number, number, number];
  area: number;
  iscrowd: 0 | 1;
  /** Extra fields written by the synthetic generator (ignored by COCO tools). */
  visible_fraction?: number;
  track_id?: number;
}

export interface CocoCategory {
  id: number;
  name: string;
  supercategory?: string;
}

export interface CocoFile {
  info?: Record<string, unknown>;
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}
