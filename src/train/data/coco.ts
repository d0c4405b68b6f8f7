// Loads a COCO-format detection dataset for training and checks it, failing on the first problem
// with a one-line error that names the file, the entry and what is wrong.
//   - categories are mapped to contiguous indices 0..C-1 in ascending category-id order (detectron2);
//   - crowd annotations (iscrowd=1) and empty boxes (width or height 0) are skipped, as torchvision and
//     detectron2 do for training; images left without boxes are dropped unless keepEmpty is set;
//   - a box may stick out of its image by at most `boxTolerance` pixels (then it is clipped).

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CocoFile } from './cocoFormat.ts';
import { RetinaStreamError } from '../../errors.ts';

export type CocoErrorCode =
  | 'RS_ERR_COCO_JSON'
  | 'RS_ERR_COCO_FORMAT'
  | 'RS_ERR_COCO_BOX'
  | 'RS_ERR_COCO_CATEGORY'
  | 'RS_ERR_COCO_IMAGE_MISSING'
  | 'RS_ERR_COCO_IMAGE_SIZE';

export class CocoDatasetError extends RetinaStreamError<CocoErrorCode> {}

export interface DatasetImage {
  /** COCO image id. */
  id: number;
  path: string;
  width: number;
  height: number;
  /** [x1, y1, x2, y2] in pixels of the original image. */
  boxes: number[][];
  /** Contiguous class indices 0..C-1. */
  labels: number[];
}

export interface CocoDataset {
  images: DatasetImage[];
  /** Class names by contiguous index. */
  classNames: string[];
  /** COCO category id by contiguous index. */
  categoryIds: number[];
  /** Contiguous index by COCO category id. */
  categoryIndex: Map<number, number>;
}

export interface LoadCocoOptions {
  /** Pixels a box may extend beyond its image before it is an error (default 2). */
  boxTolerance?: number;
  /** Keep images that have no boxes left (default false). */
  keepEmpty?: boolean;
  /** Check that every image file exists (default true). */
  checkFiles?: boolean;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export function parseCoco(json: unknown, name: string, imagesDir: string, opts: LoadCocoOptions = {}): CocoDataset {
  const fail = (code: CocoErrorCode, msg: string): never => {
    throw new CocoDatasetError(code, `${name}: ${msg}`);
  };
  const tol = opts.boxTolerance ?? 2;
  const doc = json as Partial<CocoFile>;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('RS_ERR_COCO_FORMAT', 'top level is not a JSON object');
  for (const key of ['images', 'annotations', 'categories'] as const) {
    if (!Array.isArray(doc[key])) fail('RS_ERR_COCO_FORMAT', `"${key}" is missing or not an array`);
  }

  const cats = [...doc.categories!];
  const seenCat = new Set<number>();
  cats.forEach((c, i) => {
    if (!isInt(c?.id)) fail('RS_ERR_COCO_FORMAT', `categories[${i}].id is ${JSON.stringify(c?.id)}, expected an integer`);
    if (typeof c.name !== 'string') fail('RS_ERR_COCO_FORMAT', `category ${c.id}: name is not a string`);
    if (seenCat.has(c.id)) fail('RS_ERR_COCO_FORMAT', `category id ${c.id} appears twice`);
    seenCat.add(c.id);
  });
  if (cats.length === 0) fail('RS_ERR_COCO_FORMAT', '"categories" is empty');
  cats.sort((a, b) => a.id - b.id);
  const categoryIndex = new Map(cats.map((c, i) => [c.id, i] as const));

  const byId = new Map<number, DatasetImage>();
  doc.images!.forEach((im, i) => {
    if (!isInt(im?.id)) fail('RS_ERR_COCO_FORMAT', `images[${i}].id is ${JSON.stringify(im?.id)}, expected an integer`);
    if (byId.has(im.id)) fail('RS_ERR_COCO_FORMAT', `image id ${im.id} appears twice`);
    if (typeof im.file_name !== 'string' || im.file_name === '') fail('RS_ERR_COCO_FORMAT', `image ${im.id}: file_name is missing`);
    if (!isInt(im.width) || !isInt(im.height) || im.width < 1 || im.height < 1) {
      fail('RS_ERR_COCO_FORMAT', `image ${im.id}: width/height ${im.width}x${im.height} are not positive integers`);
    }
    byId.set(im.id, { id: im.id, path: join(imagesDir, im.file_name), width: im.width, height: im.height, boxes: [], labels: [] });
  });

  doc.annotations!.forEach((a, i) => {
    const what = `annotation ${isInt(a?.id) ? a.id : `[${i}]`}`;
    const img = byId.get(a?.image_id);
    if (!img) fail('RS_ERR_COCO_FORMAT', `${what}: image_id ${JSON.stringify(a?.image_id)} is not in "images"`);
    const index = categoryIndex.get(a.category_id);
    if (index === undefined) fail('RS_ERR_COCO_CATEGORY', `${what}: category_id ${JSON.stringify(a.category_id)} is not in "categories"`);
    const b = a.bbox;
    if (!Array.isArray(b) || b.length !== 4 || !b.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      fail('RS_ERR_COCO_BOX', `${what}: bbox ${JSON.stringify(b)} is not [x, y, width, height] numbers`);
    }
    const [x, y, w, h] = b;
    if (w < 0 || h < 0) fail('RS_ERR_COCO_BOX', `${what}: bbox ${JSON.stringify(b)} has a negative width or height`);
    if (x < -tol || y < -tol || x + w > img!.width + tol || y + h > img!.height + tol) {
      fail('RS_ERR_COCO_BOX', `${what}: bbox ${JSON.stringify(b)} lies outside image ${img!.id} (${img!.width}x${img!.height}) by more than ${tol} px`);
    }
    if (a.iscrowd === 1) return;
    const x1 = Math.max(0, x), y1 = Math.max(0, y);
    const x2 = Math.min(img!.width, x + w), y2 = Math.min(img!.height, y + h);
    if (x2 <= x1 || y2 <= y1) return;
    img!.boxes.push([x1, y1, x2, y2]);
    img!.labels.push(index!);
  });

  const images = [...byId.values()].filter((im) => opts.keepEmpty || im.boxes.length > 0);
  return { images, classNames: cats.map((c) => c.name), categoryIds: cats.map((c) => c.id), categoryIndex };
}

/** Reads and checks `annotationsPath`; image files are looked up as `imagesDir/file_name`. */
export async function loadCocoDataset(annotationsPath: string, imagesDir: string, opts: LoadCocoOptions = {}): Promise<CocoDataset> {
  let text: string;
  try {
    text = await readFile(annotationsPath, 'utf8');
  } catch (e) {
    throw new CocoDatasetError('RS_ERR_COCO_JSON', `${annotationsPath}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CocoDatasetError('RS_ERR_COCO_JSON', `${annotationsPath}: not valid JSON (${(e as Error).message})`);
  }
  const ds = parseCoco(json, annotationsPath, imagesDir, opts);
  if (opts.checkFiles ?? true) {
    await Promise.all(
      ds.images.map(async (im) => {
        const ok = await stat(im.path).then((s) => s.isFile(), () => false);
        if (!ok) throw new CocoDatasetError('RS_ERR_COCO_IMAGE_MISSING', `${annotationsPath}: image ${im.id} file ${im.path} does not exist`);
      }),
    );
  }
  return ds;
}
