import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadCocoDataset, parseCoco } from '../../../src/train/data/coco.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rs-coco-'));
  await writeFile(join(dir, 'a.jpg'), 'not read by the loader');
  await writeFile(join(dir, 'b.jpg'), 'not read by the loader');
});
after(() => rm(dir, { recursive: true, force: true }));

function doc(over: Record<string, unknown> = {}) {
  return {
    images: [
      { id: 10, file_name: 'a.jpg', width: 100, height: 80 },
      { id: 11, file_name: 'b.jpg', width: 50, height: 50 },
    ],
    categories: [
      { id: 7, name: 'seven' },
      { id: 3, name: 'three' },
    ],
    annotations: [
      { id: 1, image_id: 10, category_id: 3, bbox: [10, 20, 30, 40], area: 1200, iscrowd: 0 },
      { id: 2, image_id: 10, category_id: 7, bbox: [-1, 0, 101.5, 10], area: 10, iscrowd: 0 },
      { id: 3, image_id: 11, category_id: 7, bbox: [0, 0, 5, 5], area: 25, iscrowd: 1 },
    ],
    ...over,
  };
}

test('category ids map to contiguous indices in id order; boxes become x1,y1,x2,y2 clipped', () => {
  const ds = parseCoco(doc(), 'ann.json', dir);
  assert.deepEqual(ds.classNames, ['three', 'seven']);
  assert.deepEqual(ds.categoryIds, [3, 7]);
  assert.equal(ds.categoryIndex.get(7), 1);
  // Image 11 has only a crowd box, which is skipped, so the image is dropped.
  assert.equal(ds.images.length, 1);
  assert.deepEqual(ds.images[0].boxes, [[10, 20, 40, 60], [0, 0, 100, 10]]);
  assert.deepEqual(ds.images[0].labels, [0, 1]);
  assert.equal(ds.images[0].path, join(dir, 'a.jpg'));
  assert.equal(parseCoco(doc(), 'ann.json', dir, { keepEmpty: true }).images.length, 2);
});

test('zero-size boxes are skipped, not errors', () => {
  const ds = parseCoco(doc({ annotations: [{ id: 1, image_id: 10, category_id: 3, bbox: [5, 5, 0, 4], area: 0, iscrowd: 0 }] }), 'ann.json', dir, { keepEmpty: true });
  assert.deepEqual(ds.images[0].boxes, []);
});

const cases: [string, Record<string, unknown>, string, RegExp][] = [
  ['box outside the image', { annotations: [{ id: 4, image_id: 10, category_id: 3, bbox: [90, 0, 20, 10], area: 1, iscrowd: 0 }] }, 'RS_ERR_COCO_BOX', /annotation 4: bbox \[90,0,20,10\] lies outside image 10 \(100x80\) by more than 2 px/],
  ['negative size', { annotations: [{ id: 5, image_id: 10, category_id: 3, bbox: [9, 0, -2, 10], area: 1, iscrowd: 0 }] }, 'RS_ERR_COCO_BOX', /annotation 5: .* negative width/],
  ['bbox not 4 numbers', { annotations: [{ id: 6, image_id: 10, category_id: 3, bbox: [1, 2, 3], area: 1, iscrowd: 0 }] }, 'RS_ERR_COCO_BOX', /annotation 6: bbox \[1,2,3\] is not/],
  ['unknown category', { annotations: [{ id: 7, image_id: 10, category_id: 99, bbox: [1, 2, 3, 4], area: 1, iscrowd: 0 }] }, 'RS_ERR_COCO_CATEGORY', /annotation 7: category_id 99 is not in "categories"/],
  ['unknown image', { annotations: [{ id: 8, image_id: 12, category_id: 3, bbox: [1, 2, 3, 4], area: 1, iscrowd: 0 }] }, 'RS_ERR_COCO_FORMAT', /annotation 8: image_id 12 is not in "images"/],
  ['missing images array', { images: undefined }, 'RS_ERR_COCO_FORMAT', /"images" is missing or not an array/],
  ['duplicate image id', { images: [{ id: 1, file_name: 'a.jpg', width: 1, height: 1 }, { id: 1, file_name: 'b.jpg', width: 1, height: 1 }], annotations: [] }, 'RS_ERR_COCO_FORMAT', /image id 1 appears twice/],
  ['bad image size', { images: [{ id: 1, file_name: 'a.jpg', width: 0, height: 1 }], annotations: [] }, 'RS_ERR_COCO_FORMAT', /image 1: width\/height 0x1/],
];
for (const [name, over, code, message] of cases) {
  test(`bad annotations: ${name} -> ${code}`, () => {
    assert.throws(() => parseCoco(doc(over), 'ann.json', dir), (e: Error & { code?: string }) => {
      assert.equal(e.code, code);
      assert.match(e.message, /^ann\.json: /);
      assert.match(e.message, message);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
  });
}

test('loadCocoDataset: bad JSON, unreadable file and missing image files have their own codes', async () => {
  const bad = join(dir, 'bad.json');
  await writeFile(bad, '{"images": [');
  await assert.rejects(loadCocoDataset(bad, dir), { code: 'RS_ERR_COCO_JSON', message: new RegExp(`^${bad}: not valid JSON`) });
  await assert.rejects(loadCocoDataset(join(dir, 'none.json'), dir), { code: 'RS_ERR_COCO_JSON', message: /none\.json: cannot read \(ENOENT\)/ });
  const missing = join(dir, 'missing.json');
  await writeFile(missing, JSON.stringify(doc({ images: [{ id: 10, file_name: 'gone.jpg', width: 100, height: 80 }], annotations: [] })));
  await assert.rejects(loadCocoDataset(missing, dir, { keepEmpty: true }), { code: 'RS_ERR_COCO_IMAGE_MISSING', message: /image 10 file .*gone\.jpg does not exist/ });
  const good = join(dir, 'good.json');
  await writeFile(good, JSON.stringify(doc()));
  assert.equal((await loadCocoDataset(good, dir)).images.length, 1);
});
