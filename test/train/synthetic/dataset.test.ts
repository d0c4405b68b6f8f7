import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import type { CocoFile } from '../../../src/train/data/cocoFormat.ts';
import { loadCocoDataset } from '../../../src/train/data/coco.ts';
import { generateSyntheticDataset, renderSyntheticImage, type SyntheticDatasetOptions } from '../../../src/train/synthetic/dataset.ts';

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'rs-synth-'));
  dirs.push(d);
  return d;
}
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  out.set('annotations.json', await readFile(join(dir, 'annotations.json')));
  for (const f of await readdir(join(dir, 'images'))) out.set(f, await readFile(join(dir, 'images', f)));
  return out;
}

test('same seed gives byte-identical datasets; another seed does not', async () => {
  const base = { count: 6, width: 160, height: 120, minWidth: 96, minHeight: 64 };
  const [a, b, c] = [await tmp(), await tmp(), await tmp()];
  await generateSyntheticDataset({ ...base, outDir: a, seed: 11 });
  await generateSyntheticDataset({ ...base, outDir: b, seed: 11 });
  await generateSyntheticDataset({ ...base, outDir: c, seed: 12 });
  const [fa, fb, fc] = [await filesOf(a), await filesOf(b), await filesOf(c)];
  assert.equal(fa.size, 7);
  assert.deepEqual([...fa.keys()], [...fb.keys()]);
  for (const [name, bytes] of fa) assert.ok(bytes.equals(fb.get(name)!), `${name} differs between two runs with the same seed`);
  assert.ok(!fa.get('annotations.json')!.equals(fc.get('annotations.json')!));
});

test('annotations: COCO fields, boxes inside images, object pixels inside their boxes, PNG = rendered pixels', async () => {
  const opts: SyntheticDatasetOptions = { outDir: await tmp(), count: 8, seed: 5, width: 200, height: 150, format: 'png' };
  const out = await generateSyntheticDataset(opts);
  const coco = JSON.parse(await readFile(out.annotations, 'utf8')) as CocoFile;
  assert.deepEqual(coco.categories.map((c) => c.id), [1, 2, 3, 4, 5, 6]);
  assert.equal(coco.images.length, 8);
  assert.ok(coco.annotations.length >= 8, `only ${coco.annotations.length} objects in 8 images`);
  assert.deepEqual(coco.annotations.map((a) => a.id), coco.annotations.map((_, i) => i + 1));
  for (let i = 0; i < 8; i++) {
    const img = renderSyntheticImage(opts, i);
    assert.deepEqual(img.image, coco.images[i]);
    const anns = coco.annotations.filter((a) => a.image_id === img.image.id);
    assert.equal(anns.length, img.annotations.length);
    const { data } = await sharp(join(out.images, img.image.file_name)).raw().toBuffer({ resolveWithObject: true });
    assert.ok(Buffer.from(img.rgb).equals(data), `image ${img.image.id}: PNG pixels differ from the rendered ones`);
    anns.forEach((a, k) => {
      const [x, y, w, h] = a.bbox;
      assert.ok(x >= 0 && y >= 0 && x + w <= img.image.width + 0.01 && y + h <= img.image.height + 0.01, `box ${a.bbox} outside the image`);
      assert.ok(w >= 2 && h >= 2 && a.iscrowd === 0 && a.visible_fraction! >= 0.3);
      // Pixels where object k is on top (coverage >= 1/2, so their centres are inside the outline).
      let count = 0;
      for (let p = 0; p < img.ids.length; p++) {
        if (img.ids[p] !== k) continue;
        count++;
        const px = (p % img.image.width) + 0.5, py = Math.floor(p / img.image.width) + 0.5;
        assert.ok(px >= x - 0.5 && px <= x + w + 0.5 && py >= y - 0.5 && py <= y + h + 0.5, `pixel (${px}, ${py}) of object ${a.id} outside ${a.bbox}`);
      }
      assert.equal(count, a.area);
    });
  }
  // The loader accepts what the generator writes.
  const ds = await loadCocoDataset(out.annotations, out.images);
  assert.deepEqual(ds.classNames, ['circle', 'square', 'triangle', 'star', 'ring', 'cross']);
  assert.equal(ds.images.reduce((s, im) => s + im.boxes.length, 0), coco.annotations.length);
});

test('bad options fail with RS_ERR_SYNTHETIC_OPTIONS naming the option', async () => {
  const outDir = await tmp();
  await assert.rejects(generateSyntheticDataset({ outDir, count: 0, seed: 1, width: 64, height: 64 }), { code: 'RS_ERR_SYNTHETIC_OPTIONS', message: /^count: 0/ });
  await assert.rejects(generateSyntheticDataset({ outDir, count: 1, seed: 1, width: 10, height: 64 }), { code: 'RS_ERR_SYNTHETIC_OPTIONS', message: /^width: 10/ });
  await assert.rejects(generateSyntheticDataset({ outDir, count: 1, seed: 1.5, width: 64, height: 64 }), { code: 'RS_ERR_SYNTHETIC_OPTIONS', message: /^seed/ });
  await assert.rejects(
    generateSyntheticDataset({ outDir, count: 1, seed: 1, width: 64, height: 64, format: 'gif' as 'png' }),
    { code: 'RS_ERR_SYNTHETIC_OPTIONS', message: /^format/ },
  );
});
