// Regenerates the synthetic shapes data:
//   .cache/demo-data/train, .cache/demo-data/val   COCO datasets for training (not committed)
//   assets/demo/demo.mp4, demo.gt.json, classes.json   the demo video, its ground truth, class names
// Usage: node --import tsx scripts/make-demo-data.ts [--train 2000] [--val 200] [--seed 1]
//          [--data-dir .cache/demo-data] [--assets assets/demo] [--only data|video]
//          [--image-size 512x384] [--min-image-size 320x240] [--object-size 10-200] [--max-objects 10] [--off-hue 0.15]
// The still images get a random size between --min-image-size and --image-size, and objects a log-uniform
// size (longest side, pixels) in --object-size. The demo model's data (config/train/demo.json) is
//   --data-dir .cache/demo-data-640 --train 6000 --val 300 --image-size 720x405 --min-image-size 560x315 --object-size 10-160 --max-objects 14 --off-hue 0.5
// frames of about the demo video's 640x360 with its objects' sizes (14-150 px). --off-hue is the share of
// objects painted in any hue instead of their class's typical one: at 0.15 a model learns colour as the class
// (a green star is called a triangle), at 0.5 it has to learn the shapes.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLASS_NAMES } from '../src/train/synthetic/classes.ts';
import { generateSyntheticDataset } from '../src/train/synthetic/dataset.ts';
import { generateDemoVideo } from '../src/train/synthetic/demoVideo.ts';

const { values } = parseArgs({
  options: {
    train: { type: 'string', default: '2000' },
    val: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    'data-dir': { type: 'string', default: '.cache/demo-data' },
    assets: { type: 'string', default: 'assets/demo' },
    only: { type: 'string' },
    'image-size': { type: 'string', default: '512x384' },
    'min-image-size': { type: 'string', default: '320x240' },
    'object-size': { type: 'string', default: '10-200' },
    'max-objects': { type: 'string', default: '10' },
    'off-hue': { type: 'string', default: '0.15' },
  },
});

function int(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`make-demo-data: --${name} ${v} is not a non-negative integer`);
    process.exit(2);
  }
  return n;
}

function pair(name: string, v: string | undefined, sep: string): [number, number] {
  const parts = (v ?? '').split(sep).map(Number);
  if (parts.length !== 2 || !parts.every((n) => Number.isInteger(n) && n > 0) || parts[0] > 65536 || parts[1] > 65536) {
    console.error(`make-demo-data: --${name} ${v} is not two positive integers as A${sep}B`);
    process.exit(2);
  }
  return parts as [number, number];
}

const seed = int('seed', values.seed);
const [width, height] = pair('image-size', values['image-size'], 'x');
const [minWidth, minHeight] = pair('min-image-size', values['min-image-size'], 'x');
const [minObject, maxObject] = pair('object-size', values['object-size'], '-');
if (minWidth > width || minHeight > height) {
  console.error(`make-demo-data: --min-image-size ${values['min-image-size']} is larger than --image-size ${values['image-size']}`);
  process.exit(2);
}
const offHueProb = Number(values['off-hue']);
if (!(offHueProb >= 0 && offHueProb <= 1)) {
  console.error(`make-demo-data: --off-hue ${values['off-hue']} is not a probability in [0, 1]`);
  process.exit(2);
}
if (minObject > maxObject) {
  console.error(`make-demo-data: --object-size ${values['object-size']}: the smallest is larger than the largest`);
  process.exit(2);
}
const only = values.only;
if (only !== undefined && only !== 'data' && only !== 'video') {
  console.error(`make-demo-data: --only ${only} is not 'data' or 'video'`);
  process.exit(2);
}

if (only !== 'video') {
  // Train and val use different seeds so they share no images.
  for (const [split, count, splitSeed] of [['train', int('train', values.train), seed * 2], ['val', int('val', values.val), seed * 2 + 1]] as const) {
    if (count === 0) continue;
    const t0 = Date.now();
    const out = await generateSyntheticDataset({
      outDir: join(values['data-dir']!, split),
      count,
      seed: splitSeed,
      width,
      height,
      minWidth,
      minHeight,
      minSize: minObject,
      maxSize: maxObject,
      maxObjects: int('max-objects', values['max-objects']),
      offHueProb,
    });
    console.log(`${split}: ${count} images in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${out.annotations}`);
  }
}

if (only !== 'data') {
  const dir = values.assets!;
  await mkdir(dir, { recursive: true });
  const t0 = Date.now();
  const r = await generateDemoVideo({
    outFile: join(dir, 'demo.mp4'),
    gtFile: join(dir, 'demo.gt.json'),
    seconds: 10,
    fps: 15,
    width: 640,
    height: 360,
    seed,
  });
  await writeFile(join(dir, 'classes.json'), JSON.stringify(CLASS_NAMES, null, 2) + '\n');
  console.log(
    `video: ${r.frames} frames (${r.codec}, ${(r.bytes / 1024).toFixed(0)} KiB, frame count checked by decoding), ` +
      `${r.annotations} boxes, in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${r.outFile}, ${r.gtFile}`,
  );
}
