import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { loadCocoDataset, type CocoDataset } from '../../../src/train/data/coco.ts';
import type { TrainBatch } from '../../../src/train/data/collate.ts';
import { flipImageHorizontal } from '../../../src/train/data/flip.ts';
import { CocoLoader, type LoaderOptions } from '../../../src/train/data/loader.ts';
import { generateSyntheticDataset } from '../../../src/train/synthetic/dataset.ts';

let dir = '';
let ds: CocoDataset;
let ann = '';
let imagesDir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rs-loader-'));
  // PNG so the decoded pixels are exactly the generated ones.
  const out = await generateSyntheticDataset({ outDir: dir, count: 5, seed: 21, width: 160, height: 120, format: 'png' });
  ann = out.annotations;
  imagesDir = out.images;
  ds = await loadCocoDataset(ann, imagesDir);
});
after(() => rm(dir, { recursive: true, force: true }));

async function all(loader: CocoLoader, epoch: number): Promise<TrainBatch[]> {
  const out: TrainBatch[] = [];
  for await (const b of loader.epoch(epoch)) out.push(b);
  return out;
}

async function pngRgb(id: number): Promise<Buffer> {
  const im = ds.images.find((i) => i.id === id)!;
  return (await sharp(im.path).raw().toBuffer({ resolveWithObject: true })).data;
}

const base: LoaderOptions = { batchSize: 2, minSize: 120, maxSize: 1000, flipProb: 0, shuffle: false };

test('scale 1, no flip: images are the files, padded to 32 with zeros; targets are the annotations', async () => {
  const batches = await all(new CocoLoader(ds, base), 0);
  assert.equal(batches.length, 3);
  assert.deepEqual(batches.map((b) => b.batchShape), [[2, 128, 160, 3], [2, 128, 160, 3], [1, 128, 160, 3]]);
  const b = batches[0];
  assert.ok(b.images instanceof Uint8Array);
  for (let i = 0; i < 2; i++) {
    const m = b.meta[i];
    assert.deepEqual({ ...m, imageId: 0 }, { imageId: 0, scale: 1, height: 120, width: 160, flipped: false });
    const src = await pngRgb(m.imageId);
    const img = b.images.subarray(i * 128 * 160 * 3, (i + 1) * 128 * 160 * 3);
    assert.ok(Buffer.from(img.subarray(0, 120 * 160 * 3)).equals(src));
    assert.ok(img.subarray(120 * 160 * 3).every((v) => v === 0), 'padding rows are zero');
    const im = ds.images.find((x) => x.id === m.imageId)!;
    assert.deepEqual(b.targets[i], { boxes: im.boxes, labels: im.labels });
  }
});

test('resize: short side to minSize, boxes scaled with the image, size recorded in meta', async () => {
  const [b] = await all(new CocoLoader(ds, { ...base, minSize: 200, maxSize: 400, batchSize: 1 }), 0);
  // 120x160 -> scale min(200/120, 400/160) = 1.6667 -> 200 x floor(266.67) = 266; padded to 224 x 288.
  assert.deepEqual(b.batchShape, [1, 224, 288, 3]);
  assert.deepEqual(b.meta[0], { imageId: ds.images[0].id, scale: 200 / 120, height: 200, width: 266, flipped: false });
  b.targets[0].boxes.forEach((box, k) => {
    const [x1, y1, x2, y2] = ds.images[0].boxes[k];
    const want = [(x1 * 266) / 160, (y1 * 200) / 120, (x2 * 266) / 160, (y2 * 200) / 120];
    box.forEach((v, j) => assert.ok(Math.abs(v - want[j]) < 1e-9));
  });
  // The resized pixels come from the image: their mean matches the original's mean closely.
  const src = await pngRgb(ds.images[0].id);
  const mean = (a: ArrayLike<number>, n: number) => Array.from({ length: n }, (_, i) => a[i]).reduce((s, v) => s + v, 0) / n;
  const rows: number[] = [];
  for (let y = 0; y < 200; y++) for (let x = 0; x < 266 * 3; x++) rows.push(b.images[(y * 288 * 3) + x]);
  assert.ok(Math.abs(mean(rows, rows.length) - mean(src, src.length)) < 2);
});

test('flip: image mirrored and boxes x1,x2 -> w-x2,w-x1', async () => {
  const plain = (await all(new CocoLoader(ds, { ...base, batchSize: 5 }), 0))[0];
  const flipped = (await all(new CocoLoader(ds, { ...base, batchSize: 5, flipProb: 1 }), 0))[0];
  for (let i = 0; i < 5; i++) {
    assert.equal(flipped.meta[i].flipped, true);
    const size = 128 * 160 * 3;
    const a = plain.images.subarray(i * size, i * size + 120 * 160 * 3) as Uint8Array;
    const f = flipped.images.subarray(i * size, i * size + 120 * 160 * 3) as Uint8Array;
    assert.deepEqual(f, flipImageHorizontal(a, 160, 120));
    assert.deepEqual(flipped.targets[i].boxes, plain.targets[i].boxes.map(([x1, y1, x2, y2]) => [160 - x2, y1, 160 - x1, y2]));
    assert.deepEqual(flipped.targets[i].labels, plain.targets[i].labels);
  }
});

test('seeded shuffle and flips: same seed same batches whatever the prefetch; epochs differ', async () => {
  const opts: LoaderOptions = { batchSize: 2, minSize: [96, 120], maxSize: 400, seed: 9 };
  const a = await all(new CocoLoader(ds, { ...opts, prefetch: 0 }), 4);
  const b = await all(new CocoLoader(ds, { ...opts, prefetch: 3 }), 4);
  assert.deepEqual(a, b);
  const ids = (bs: TrainBatch[]) => bs.flatMap((x) => x.meta.map((m) => m.imageId));
  assert.deepEqual([...ids(a)].sort(), ds.images.map((i) => i.id).sort(), 'each image once per epoch');
  const orders = new Set<string>();
  for (let e = 0; e < 6; e++) orders.add(ids(await all(new CocoLoader(ds, opts), e)).join(','));
  assert.ok(orders.size >= 4, `only ${orders.size} distinct orders in 6 epochs`);
  const shorts = a.flatMap((x) => x.meta.map((m) => Math.min(m.height, m.width)));
  assert.ok(shorts.every((s) => s === 96 || s === 120));
});

test('float32 batches hold the same values; dropLast drops the short batch', async () => {
  const u8 = await all(new CocoLoader(ds, base), 0);
  const f32 = await all(new CocoLoader(ds, { ...base, dtype: 'float32', dropLast: true }), 0);
  assert.equal(f32.length, 2);
  assert.ok(f32[0].images instanceof Float32Array);
  assert.deepEqual(Array.from(f32[1].images), Array.from(u8[1].images));
});

test('errors: image size differing from the annotations, bad loader options', async () => {
  const coco = JSON.parse(await readFile(ann, 'utf8'));
  coco.images[0].width = 170;
  const wrong = join(dir, 'wrong.json');
  await writeFile(wrong, JSON.stringify(coco));
  const bad = await loadCocoDataset(wrong, imagesDir);
  await assert.rejects(all(new CocoLoader(bad, { ...base, batchSize: 5 }), 0), {
    code: 'RS_ERR_COCO_IMAGE_SIZE',
    message: /000001\.png: image is 160x120 but the annotations say 170x120/,
  });
  assert.throws(() => new CocoLoader(ds, { ...base, batchSize: 0 }), { code: 'RS_ERR_LOADER_OPTIONS', message: /batchSize: 0 is not a positive integer/ });
  assert.throws(() => new CocoLoader(ds, { ...base, minSize: 800, maxSize: 600 }), { code: 'RS_ERR_LOADER_OPTIONS', message: /maxSize: 600/ });
  assert.throws(() => new CocoLoader(ds, { ...base, flipProb: 2 }), { code: 'RS_ERR_LOADER_OPTIONS', message: /flipProb: 2/ });
});

test('prefetch: batches k+1..k+prefetch are already requested when batch k is handed out', async () => {
  const requested: number[][] = [];
  class Recording extends CocoLoader {
    override loadBatch(indices: number[], epoch: number): Promise<TrainBatch> {
      requested.push(indices);
      return super.loadBatch(indices, epoch);
    }
  }
  const it = new Recording(ds, { ...base, batchSize: 1, prefetch: 2 }).epoch(0);
  await it.next();
  assert.equal(requested.length, 3);
  await it.next();
  assert.equal(requested.length, 4);
  await it.return(undefined);
  requested.length = 0;
  const lazy = new Recording(ds, { ...base, batchSize: 1, prefetch: 0 }).epoch(0);
  await lazy.next();
  assert.equal(requested.length, 1);
  await lazy.return(undefined);
});
