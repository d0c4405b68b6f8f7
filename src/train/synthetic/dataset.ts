// Writes a seeded synthetic detection dataset in COCO format:
//   <outDir>/annotations.json   images, annotations (bbox [x, y, w, h]), categories 1..C
//   <outDir>/images/000001.jpg  one file per image
// Image i depends only on (seed, i): the first N images are the same whatever `count` is.
// Box convention and visibility: see annotate.ts.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { CocoAnnotation, CocoFile, CocoImage } from '../data/cocoFormat.ts';
import { Rng, deriveSeed } from '../data/random.ts';
import { dropInvisible, objectTruths, round2 } from './annotate.ts';
import { cocoCategories } from './classes.ts';
import { renderScene } from './raster.ts';
import { sampleStillScene, type StillSceneOptions } from './scene.ts';
import { RetinaStreamError } from '../../errors.ts';

export interface SyntheticDatasetOptions extends StillSceneOptions {
  outDir: string;
  count: number;
  seed: number;
  /** Image size; with minWidth/minHeight each image gets a random size in [min, max]. */
  width: number;
  height: number;
  minWidth?: number;
  minHeight?: number;
  format?: 'jpeg' | 'png';
  /** JPEG quality 1..100 (default 90). */
  quality?: number;
  /** Objects less visible than this (occlusion + image border) are left out of the image (default 0.3). */
  minVisible?: number;
}

export class SyntheticOptionsError extends RetinaStreamError<'RS_ERR_SYNTHETIC_OPTIONS'> {
  constructor(message: string) {
    super('RS_ERR_SYNTHETIC_OPTIONS', message);
  }
}

function checkInt(name: string, v: unknown, lo: number, hi: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new SyntheticOptionsError(`${name}: ${String(v)} is not an integer in [${lo}, ${hi}]`);
  }
}

export interface SyntheticImage {
  image: CocoImage;
  annotations: Omit<CocoAnnotation, 'id'>[];
  rgb: Uint8Array;
  ids: Int16Array;
}

/** Renders image number `index` (1-based COCO id = index + 1) of the dataset with this seed. */
export function renderSyntheticImage(opts: SyntheticDatasetOptions, index: number): SyntheticImage {
  const rng = new Rng(deriveSeed(opts.seed, index));
  const width = opts.minWidth !== undefined ? rng.int(opts.minWidth, opts.width) : opts.width;
  const height = opts.minHeight !== undefined ? rng.int(opts.minHeight, opts.height) : opts.height;
  const scene = dropInvisible(sampleStillScene(rng, width, height, opts), opts.minVisible ?? 0.3, 2);
  const rendered = renderScene(scene);
  const ext = (opts.format ?? 'jpeg') === 'png' ? 'png' : 'jpg';
  const imageId = index + 1;
  const annotations = objectTruths(scene, rendered.ids).map((t) => {
    const [x1, y1, x2, y2] = t.box;
    return {
      image_id: imageId,
      category_id: t.categoryId,
      bbox: [round2(x1), round2(y1), round2(x2 - x1), round2(y2 - y1)] as [number, number, number, number],
      area: t.visiblePixels,
      iscrowd: 0 as const,
      visible_fraction: Math.round(t.visibleFraction * 1000) / 1000,
    };
  });
  return {
    image: { id: imageId, file_name: `${String(imageId).padStart(6, '0')}.${ext}`, width, height },
    annotations,
    rgb: rendered.rgb,
    ids: rendered.ids,
  };
}

export async function encodeRgb(rgb: Uint8Array, width: number, height: number, format: 'jpeg' | 'png', quality = 90): Promise<Buffer> {
  const img = sharp(rgb, { raw: { width, height, channels: 3 } });
  return format === 'png' ? img.png({ compressionLevel: 6 }).toBuffer() : img.jpeg({ quality }).toBuffer();
}

export async function generateSyntheticDataset(opts: SyntheticDatasetOptions): Promise<{ annotations: string; images: string }> {
  checkInt('count', opts.count, 1, 10_000_000);
  checkInt('seed', opts.seed, 0, 0xffffffff);
  checkInt('width', opts.width, 32, 4096);
  checkInt('height', opts.height, 32, 4096);
  if (opts.minWidth !== undefined) checkInt('minWidth', opts.minWidth, 32, opts.width);
  if (opts.minHeight !== undefined) checkInt('minHeight', opts.minHeight, 32, opts.height);
  if (opts.format !== undefined && opts.format !== 'jpeg' && opts.format !== 'png') {
    throw new SyntheticOptionsError(`format: '${String(opts.format)}' is not 'jpeg' or 'png'`);
  }
  const format = opts.format ?? 'jpeg';
  const imagesDir = join(opts.outDir, 'images');
  await mkdir(imagesDir, { recursive: true });

  const images: CocoImage[] = [];
  const annotations: CocoAnnotation[] = [];
  const pending: Promise<void>[] = [];
  for (let i = 0; i < opts.count; i++) {
    const s = renderSyntheticImage(opts, i);
    images.push(s.image);
    for (const a of s.annotations) annotations.push({ id: annotations.length + 1, ...a });
    // Encode and write in the background (sharp runs off the main thread) while the next image renders.
    pending.push(
      encodeRgb(s.rgb, s.image.width, s.image.height, format, opts.quality).then((buf) => writeFile(join(imagesDir, s.image.file_name), buf)),
    );
    if (pending.length >= 4) await pending.shift();
  }
  await Promise.all(pending);

  const coco: CocoFile = {
    info: {
      description: 'retinastream synthetic shapes',
      seed: opts.seed,
      box_convention: 'full object extent (amodal), clipped to the image; area = visible pixels',
    },
    images,
    annotations,
    categories: cocoCategories(),
  };
  const annotationsPath = join(opts.outDir, 'annotations.json');
  await writeFile(annotationsPath, JSON.stringify(coco) + '\n');
  return { annotations: annotationsPath, images: imagesDir };
}
