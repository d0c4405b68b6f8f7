// Loads and validates a COCO-format annotation file (instances_*.json): images, annotations with
// bbox [x, y, w, h], area, iscrowd and category_id, and categories. Only the fields box evaluation
// needs are kept; anything wrong fails with one line naming the file and the entry.

import { readFileSync } from 'node:fs';
import { EvalError } from './errors.ts';

export interface CocoImage {
  id: number;
  width: number;
  height: number;
  file_name?: string;
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  /** [x, y, width, height] in image pixels. */
  bbox: [number, number, number, number];
  /** Object area as stored in the file (the segment area for COCO); decides small/medium/large. */
  area: number;
  /** 1 for crowd regions: never counted as missed, may absorb any number of detections. */
  iscrowd: 0 | 1;
}

export interface CocoCategory {
  id: number;
  name: string;
  supercategory?: string;
}

export interface CocoDataset {
  /** Where the data came from (file path or a label), used in error messages. */
  source: string;
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}

export interface CocoDatasetOptions {
  /**
   * How far (pixels) a ground-truth box may reach past the image border before it is rejected.
   * COCO's own boxes stay inside; 1 px absorbs rounding in converted datasets. Infinity disables the check.
   */
  bboxTolerance?: number;
}

const DEFAULTS: Required<CocoDatasetOptions> = { bboxTolerance: 1 };

/** The dataset restricted to its first `n` images (in file order) and their annotations. */
export function firstImages(gt: CocoDataset, n: number): CocoDataset {
  const images = gt.images.slice(0, n);
  const keep = new Set(images.map((im) => im.id));
  return { ...gt, images, annotations: gt.annotations.filter((a) => keep.has(a.image_id)) };
}

/** Reads and validates a COCO annotation JSON file. */
export function loadCocoDataset(path: string, opts: CocoDatasetOptions = {}): CocoDataset {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new EvalError('RS_ERR_EVAL_FILE', `${path}: cannot read COCO annotation file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new EvalError('RS_ERR_EVAL_FILE', `${path}: not valid JSON (${(err as Error).message})`);
  }
  return parseCocoDataset(json, path, opts);
}

/** Validates an already parsed COCO annotation object; `source` names it in errors. */
export function parseCocoDataset(json: unknown, source: string, opts: CocoDatasetOptions = {}): CocoDataset {
  const { bboxTolerance } = { ...DEFAULTS, ...opts };
  const fail = (what: string, problem: string): never => {
    throw new EvalError('RS_ERR_COCO_DATASET', `${source}: ${what}: ${problem}`);
  };
  if (!isObject(json)) fail('top level', 'expected an object with images, annotations and categories');
  const root = json as Record<string, unknown>;
  for (const key of ['images', 'annotations', 'categories']) {
    if (!Array.isArray(root[key])) fail(key, root[key] === undefined ? 'missing' : 'expected an array');
  }

  const categories: CocoCategory[] = [];
  const catIds = new Set<number>();
  (root.categories as unknown[]).forEach((entry, i) => {
    const where = `categories[${i}]`;
    const c = asObject(entry, where, fail);
    const id = intField(c, 'id', where, fail);
    if (catIds.has(id)) fail(`${where} (id ${id})`, `duplicate category id ${id}`);
    const name = c.name;
    if (typeof name !== 'string') fail(`${where} (id ${id})`, name === undefined ? 'missing field "name"' : 'field "name" must be a string');
    catIds.add(id);
    const cat: CocoCategory = { id, name: name as string };
    if (typeof c.supercategory === 'string') cat.supercategory = c.supercategory;
    categories.push(cat);
  });

  const images: CocoImage[] = [];
  const imageById = new Map<number, CocoImage>();
  (root.images as unknown[]).forEach((entry, i) => {
    const where = `images[${i}]`;
    const im = asObject(entry, where, fail);
    const id = intField(im, 'id', where, fail);
    const at = `${where} (id ${id})`;
    if (imageById.has(id)) fail(at, `duplicate image id ${id}`);
    const width = numField(im, 'width', at, fail);
    const height = numField(im, 'height', at, fail);
    if (!(width > 0) || !(height > 0)) fail(at, `image size ${width}x${height} must be positive`);
    const image: CocoImage = { id, width, height };
    if (typeof im.file_name === 'string') image.file_name = im.file_name;
    imageById.set(id, image);
    images.push(image);
  });

  const annotations: CocoAnnotation[] = [];
  const annIds = new Set<number>();
  (root.annotations as unknown[]).forEach((entry, i) => {
    const where = `annotations[${i}]`;
    const a = asObject(entry, where, fail);
    const id = intField(a, 'id', where, fail);
    const at = `${where} (id ${id})`;
    if (annIds.has(id)) fail(at, `duplicate annotation id ${id}`);
    annIds.add(id);
    const imageId = intField(a, 'image_id', at, fail);
    const image = imageById.get(imageId);
    if (!image) fail(at, `image_id ${imageId} is not in images`);
    const categoryId = intField(a, 'category_id', at, fail);
    if (!catIds.has(categoryId)) fail(at, `unknown category_id ${categoryId} (not in categories)`);
    const bbox = a.bbox;
    if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      fail(at, bbox === undefined ? 'missing field "bbox"' : 'bbox must be 4 finite numbers [x, y, w, h]');
    }
    const [x, y, w, h] = bbox as number[];
    if (w < 0 || h < 0) fail(at, `bbox [${x}, ${y}, ${w}, ${h}] has a negative width or height`);
    const img = image as CocoImage;
    const tol = bboxTolerance;
    if (x < -tol || y < -tol || x + w > img.width + tol || y + h > img.height + tol) {
      fail(at, `bbox [${x}, ${y}, ${w}, ${h}] lies outside image ${imageId} (${img.width}x${img.height})`);
    }
    const area = numField(a, 'area', at, fail);
    if (area < 0) fail(at, `area ${area} is negative`);
    const crowd = a.iscrowd;
    if (crowd === undefined) fail(at, 'missing field "iscrowd"');
    if (crowd !== 0 && crowd !== 1 && crowd !== true && crowd !== false) fail(at, `iscrowd must be 0 or 1, got ${JSON.stringify(crowd)}`);
    annotations.push({
      id,
      image_id: imageId,
      category_id: categoryId,
      bbox: [x, y, w, h],
      area,
      iscrowd: crowd === 1 || crowd === true ? 1 : 0,
    });
  });

  return { source, images, annotations, categories };
}

type Fail = (what: string, problem: string) => never;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asObject(v: unknown, where: string, fail: Fail): Record<string, unknown> {
  if (!isObject(v)) fail(where, 'expected an object');
  return v as Record<string, unknown>;
}

function numField(o: Record<string, unknown>, key: string, where: string, fail: Fail): number {
  const v = o[key];
  if (v === undefined) fail(where, `missing field "${key}"`);
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(where, `field "${key}" must be a finite number, got ${JSON.stringify(v)}`);
  return v as number;
}

function intField(o: Record<string, unknown>, key: string, where: string, fail: Fail): number {
  const v = numField(o, key, where, fail);
  if (!Number.isSafeInteger(v)) fail(where, `field "${key}" must be an integer, got ${v}`);
  return v;
}
