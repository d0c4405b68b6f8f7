// Zone geometry: worked examples a reader can check on paper.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anchorPoint, crossing, pointInPolygon, polygonProblem, segmentsIntersect, side, type Point } from '../../../src/pipeline/tracking/zones.ts';

const square: Point[] = [[0, 0], [10, 0], [10, 10], [0, 10]];

describe('zones geometry', () => {
  it('anchor points', () => {
    assert.deepEqual(anchorPoint([10, 20, 30, 60], 'bottom_center'), [20, 60]);
    assert.deepEqual(anchorPoint([10, 20, 30, 60], 'center'), [20, 40]);
  });

  it('point in polygon, convex and concave', () => {
    assert.equal(pointInPolygon([5, 5], square), true);
    assert.equal(pointInPolygon([15, 5], square), false);
    const u: Point[] = [[0, 0], [30, 0], [30, 30], [20, 30], [20, 10], [10, 10], [10, 30], [0, 30]]; // a U
    assert.equal(pointInPolygon([15, 20], u), false, 'inside the notch is outside');
    assert.equal(pointInPolygon([5, 20], u), true);
    assert.equal(pointInPolygon([25, 20], u), true);
  });

  it('side: positive to the right of a -> b on screen (y down)', () => {
    // walking right along y = 100: screen-down (y 150) is on the right
    assert.ok(side([0, 100], [200, 100], [50, 150]) > 0);
    assert.ok(side([0, 100], [200, 100], [50, 50]) < 0);
    assert.equal(side([0, 100], [200, 100], [50, 100]), 0);
  });

  it('segments: crossing, touching, collinear overlap, apart', () => {
    assert.equal(segmentsIntersect([0, 0], [10, 10], [0, 10], [10, 0]), true);
    assert.equal(segmentsIntersect([0, 0], [10, 0], [10, 0], [20, 5]), true, 'touching at an end');
    assert.equal(segmentsIntersect([0, 0], [10, 0], [5, 0], [20, 0]), true, 'collinear overlap');
    assert.equal(segmentsIntersect([0, 0], [10, 0], [11, 0], [20, 0]), false, 'collinear apart');
    assert.equal(segmentsIntersect([0, 0], [10, 0], [0, 1], [10, 1]), false, 'parallel');
  });

  it('polygon problems', () => {
    assert.equal(polygonProblem(square), null);
    assert.match(polygonProblem([[0, 0], [1, 1]])!, /at least 3/);
    assert.match(polygonProblem([[0, 0], [5, 5], [10, 10]])!, /degenerate/);
    assert.match(polygonProblem([[0, 0], [10, 10], [10, 0], [0, 10]])!, /self-intersecting \(edge 0 crosses edge 2\)/, 'a bow tie');
    assert.match(polygonProblem([[0, 0], [10, 0], [10, 0], [0, 10]])!, /repeats/);
    assert.match(polygonProblem([[0, 0], [10, 0], [5, 0], [5, 5]])!, /self-intersecting/, 'an edge folding back over the previous one');
  });

  it('line crossing direction, and moves that miss the segment', () => {
    const a: Point = [0, 100];
    const b: Point = [200, 100];
    assert.equal(crossing(a, b, [50, 90], [50, 110]), 'in', 'downwards across a left-to-right line: left -> right');
    assert.equal(crossing(a, b, [50, 110], [50, 90]), 'out');
    assert.equal(crossing(a, b, [250, 90], [250, 110]), null, 'past the end of the segment');
    assert.equal(crossing(a, b, [50, 90], [60, 95]), null, 'same side');
  });
});
