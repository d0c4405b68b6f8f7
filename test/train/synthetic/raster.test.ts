import assert from 'node:assert/strict';
import { test } from 'node:test';
import { objectTruths } from '../../../src/train/synthetic/annotate.ts';
import { renderScene } from '../../../src/train/synthetic/raster.ts';
import type { Scene, SceneObject } from '../../../src/train/synthetic/scene.ts';
import type { ShapeKind } from '../../../src/train/synthetic/shapes.ts';

const KINDS: ShapeKind[] = ['circle', 'square', 'triangle', 'star', 'ring', 'cross'];

function flatScene(objects: SceneObject[], w = 120, h = 100): Scene {
  return {
    width: w,
    height: h,
    background: { color0: [20, 20, 20], color1: [20, 20, 20], gradAngle: 0, noiseAmp: 0, noiseCell: 10, noiseSeed: 1, noiseOffset: [0, 0] },
    distractors: [],
    objects,
    effects: { light: { angle: 0, lo: 1, hi: 1 }, blur: 0, noiseSigma: 0, noiseSeed: 1 },
  };
}

function obj(kind: ShapeKind, cx: number, cy: number, ax: number, ay: number, angle: number, color: [number, number, number] = [240, 200, 40]): SceneObject {
  return { classIndex: KINDS.indexOf(kind), kind, placement: { cx, cy, ax, ay, angle }, texture: { kind: 'solid', color1: color, color2: color, freq: 1, dir: 0 } };
}

test('each class: drawn pixels fill exactly its ground-truth box (to a pixel)', () => {
  KINDS.forEach((kind, k) => {
    const scene = flatScene([obj(kind, 55.3, 48.7, 30 + k, 18 + 2 * k, 0.4 + k)]);
    const r = renderScene(scene);
    const [t] = objectTruths(scene, r.ids);
    let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
    for (let y = 0; y < scene.height; y++) {
      for (let x = 0; x < scene.width; x++) {
        const i = (y * scene.width + x) * 3;
        if (r.rgb[i] === 20 && r.rgb[i + 1] === 20 && r.rgb[i + 2] === 20) continue;
        x1 = Math.min(x1, x); y1 = Math.min(y1, y); x2 = Math.max(x2, x + 1); y2 = Math.max(y2, y + 1);
      }
    }
    const [bx1, by1, bx2, by2] = t.box;
    // Changed pixels (any coverage) span the box, up to the pixel grid.
    for (const [a, b] of [[x1, bx1], [y1, by1], [x2, bx2], [y2, by2]]) assert.ok(Math.abs(a - b) <= 1, `${kind}: drawn ${[x1, y1, x2, y2]} vs box ${t.box}`);
    assert.ok(t.visibleFraction > 0.9 && t.visibleFraction <= 1, `${kind}: unoccluded object visible ${t.visibleFraction}`);
  });
});

test('edges are anti-aliased: partially covered pixels get intermediate colours', () => {
  const r = renderScene(flatScene([obj('circle', 60, 50, 30, 30, 0, [220, 220, 220])]));
  const values = new Set<number>();
  for (let i = 0; i < r.rgb.length; i += 3) values.add(r.rgb[i]);
  const between = [...values].filter((v) => v > 20 && v < 220);
  assert.ok(between.length >= 8, `only ${between.length} intermediate levels`);
});

test('occlusion: the later object hides the earlier one and visibility drops accordingly', () => {
  const back = obj('square', 50, 50, 20, 20, 0, [200, 0, 0]);
  const front = obj('square', 70, 50, 20, 20, 0, [0, 0, 200]);
  const scene = flatScene([back, front]);
  const r = renderScene(scene);
  const [tb, tf] = objectTruths(scene, r.ids);
  // back spans x 30..70, front 50..90: half of the back square is covered.
  assert.ok(Math.abs(tb.visibleFraction - 0.5) < 0.02, `back visible ${tb.visibleFraction}`);
  assert.ok(tf.visibleFraction > 0.99);
  assert.deepEqual(tb.box.map(Math.round), [30, 30, 70, 70]); // amodal: the whole square
  const i = (50 * 120 + 60) * 3; // a pixel in the overlap shows the front colour
  assert.deepEqual([...r.rgb.subarray(i, i + 3)], [0, 0, 200]);
  assert.equal(r.ids[50 * 120 + 60], 1);
  assert.equal(r.ids[50 * 120 + 40], 0);
});
