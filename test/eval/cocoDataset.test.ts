import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstImages, loadCocoDataset, parseCocoDataset } from '../../src/eval/cocoDataset.ts';

function base() {
  return {
    images: [{ id: 1, width: 640, height: 480, file_name: 'a.jpg' }, { id: 2, width: 100, height: 50 }],
    categories: [{ id: 1, name: 'person', supercategory: 'person' }, { id: 3, name: 'car' }],
    annotations: [
      { id: 10, image_id: 1, category_id: 1, bbox: [10, 20, 30, 40], area: 1000.5, iscrowd: 0, segmentation: [[1, 2, 3]] },
      { id: 11, image_id: 2, category_id: 3, bbox: [0, 0, 100, 50], area: 5000, iscrowd: 1 },
    ],
  };
}

const rejects = (json: unknown, pattern: RegExp) =>
  assert.throws(() => parseCocoDataset(json, 'val.json'), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'RS_ERR_COCO_DATASET');
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });

test('a valid file keeps the fields evaluation needs', () => {
  const ds = parseCocoDataset(base(), 'val.json');
  assert.equal(ds.source, 'val.json');
  assert.deepEqual(ds.images[0], { id: 1, width: 640, height: 480, file_name: 'a.jpg' });
  assert.deepEqual(ds.annotations[1], { id: 11, image_id: 2, category_id: 3, bbox: [0, 0, 100, 50], area: 5000, iscrowd: 1 });
  assert.deepEqual(ds.categories.map((c) => c.id), [1, 3]);
});

test('missing fields are named with the entry', () => {
  const d = base();
  delete (d.annotations[0] as Record<string, unknown>).area;
  rejects(d, /^val\.json: annotations\[0\] \(id 10\): missing field "area"$/);
  const e = base();
  delete (e.annotations[1] as Record<string, unknown>).iscrowd;
  rejects(e, /annotations\[1\] \(id 11\): missing field "iscrowd"/);
  const f = base();
  delete (f.images[1] as Record<string, unknown>).height;
  rejects(f, /images\[1\] \(id 2\): missing field "height"/);
  rejects({ images: [], categories: [] }, /annotations: missing/);
  rejects([], /top level: expected an object/);
});

test('unknown category and image ids', () => {
  const d = base();
  d.annotations[1].category_id = 2;
  rejects(d, /annotations\[1\] \(id 11\): unknown category_id 2 \(not in categories\)/);
  const e = base();
  e.annotations[0].image_id = 9;
  rejects(e, /annotations\[0\] \(id 10\): image_id 9 is not in images/);
});

test('bbox outside the image (beyond 1 px) or with negative size', () => {
  const d = base();
  d.annotations[1].bbox = [0, 0, 101, 50]; // reaches x = 101 on a 100 px image: within tolerance
  assert.doesNotThrow(() => parseCocoDataset(d, 'val.json'));
  d.annotations[1].bbox = [0, 0, 101.5, 50];
  rejects(d, /annotations\[1\] \(id 11\): bbox \[0, 0, 101\.5, 50\] lies outside image 2 \(100x50\)/);
  assert.doesNotThrow(() => parseCocoDataset(d, 'val.json', { bboxTolerance: Infinity }));
  const e = base();
  e.annotations[0].bbox = [10, 20, -3, 4];
  rejects(e, /negative width or height/);
  const f = base();
  (f.annotations[0] as Record<string, unknown>).bbox = [1, 2, 3];
  rejects(f, /bbox must be 4 finite numbers/);
});

test('duplicate ids', () => {
  const d = base();
  d.images[1].id = 1;
  rejects(d, /images\[1\] \(id 1\): duplicate image id 1/);
  const e = base();
  e.annotations[1].id = 10;
  rejects(e, /annotations\[1\] \(id 10\): duplicate annotation id 10/);
  const f = base();
  f.categories[1].id = 1;
  rejects(f, /categories\[1\] \(id 1\): duplicate category id 1/);
});

test('bad types', () => {
  const d = base();
  (d.annotations[0] as Record<string, unknown>).iscrowd = 2;
  rejects(d, /iscrowd must be 0 or 1, got 2/);
  const e = base();
  (e.annotations[0] as Record<string, unknown>).id = '10';
  rejects(e, /annotations\[0\]: field "id" must be a finite number, got "10"/);
  const f = base();
  (f.images[0] as Record<string, unknown>).id = 1.5;
  rejects(f, /images\[0\]: field "id" must be an integer, got 1\.5/);
});

test('loadCocoDataset names the file when it is missing or not JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-cocods-'));
  try {
    assert.throws(() => loadCocoDataset(join(dir, 'nope.json')), (e: Error & { code?: string }) =>
      e.code === 'RS_ERR_EVAL_FILE' && e.message.includes('nope.json: cannot read COCO annotation file (ENOENT)'));
    writeFileSync(join(dir, 'bad.json'), '{"images": [');
    assert.throws(() => loadCocoDataset(join(dir, 'bad.json')), (e: Error & { code?: string }) =>
      e.code === 'RS_ERR_EVAL_FILE' && /bad\.json: not valid JSON/.test(e.message));
    writeFileSync(join(dir, 'ok.json'), JSON.stringify(base()));
    assert.equal(loadCocoDataset(join(dir, 'ok.json')).annotations.length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('firstImages keeps the first n images in file order and only their annotations', () => {
  const ds = parseCocoDataset(base(), 'val.json');
  const one = firstImages(ds, 1);
  assert.deepEqual(one.images.map((im) => im.id), [1]);
  assert.deepEqual(one.annotations.map((a) => a.id), [10]);
  assert.deepEqual(one.categories, ds.categories);
  assert.equal(firstImages(ds, 5).annotations.length, 2);
  assert.equal(firstImages(ds, 0).annotations.length, 0);
});
