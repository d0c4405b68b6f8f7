import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../../src/train/data/random.ts';
import { insideUnit, placedExtent, toUnit, unitArea, type ShapeKind } from '../../../src/train/synthetic/shapes.ts';

const KINDS: ShapeKind[] = ['circle', 'square', 'triangle', 'star', 'ring', 'cross'];

test('placedExtent is the tight box of the placed shape (checked by dense sampling)', () => {
  const rng = new Rng(3);
  for (const kind of KINDS) {
    for (let trial = 0; trial < 3; trial++) {
      const p = { cx: rng.uniform(50, 150), cy: rng.uniform(50, 150), ax: rng.uniform(5, 40), ay: rng.uniform(5, 40), angle: rng.uniform(0, 7) };
      const [x1, y1, x2, y2] = placedExtent(kind, p);
      const unit = toUnit(p);
      let mx1 = Infinity, my1 = Infinity, mx2 = -Infinity, my2 = -Infinity;
      const step = 0.1;
      for (let y = y1 - 2; y <= y2 + 2; y += step) {
        for (let x = x1 - 2; x <= x2 + 2; x += step) {
          const [u, v] = unit(x, y);
          if (!insideUnit(kind, u, v)) continue;
          mx1 = Math.min(mx1, x); my1 = Math.min(my1, y); mx2 = Math.max(mx2, x); my2 = Math.max(my2, y);
        }
      }
      // Every inside point lies in the box, and the box sides are reached to within the sampling step
      // (a star's thin tip can end between samples, so allow a little more).
      const tol = kind === 'star' || kind === 'triangle' ? 0.6 : 0.25;
      assert.ok(mx1 >= x1 - 1e-9 && my1 >= y1 - 1e-9 && mx2 <= x2 + 1e-9 && my2 <= y2 + 1e-9, `${kind}: inside point outside the box`);
      assert.ok(mx1 - x1 < tol && my1 - y1 < tol && x2 - mx2 < tol && y2 - my2 < tol, `${kind}: box not tight ${[x1, y1, x2, y2]} vs ${[mx1, my1, mx2, my2]}`);
    }
  }
});

test('unitArea matches a Monte Carlo estimate over [-1, 1]^2', () => {
  const rng = new Rng(5);
  const n = 200_000;
  for (const kind of KINDS) {
    let hits = 0;
    for (let i = 0; i < n; i++) if (insideUnit(kind, rng.uniform(-1, 1), rng.uniform(-1, 1))) hits++;
    const estimate = (4 * hits) / n;
    // Standard error of the estimate is below 0.01 here.
    assert.ok(Math.abs(estimate - unitArea(kind)) < 0.03, `${kind}: ${estimate} vs ${unitArea(kind)}`);
  }
  assert.ok(Math.abs(unitArea('square') - 4) < 1e-12);
  assert.ok(Math.abs(unitArea('triangle') - 2) < 1e-12);
});
