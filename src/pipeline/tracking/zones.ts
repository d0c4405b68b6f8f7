// Zone and line geometry, pure functions: the anchor point of a box, point in polygon, which side of a
// directed line a point is on, whether a move crosses a line segment, and what makes a polygon or line
// unusable (too few points, zero area, self-intersecting, zero length).
import type { Box } from './boxes.ts';

export type Point = readonly [number, number];
export type Anchor = 'bottom_center' | 'center';

export function anchorPoint(box: Box, anchor: Anchor): Point {
  const x = (box[0] + box[2]) / 2;
  return anchor === 'center' ? [x, (box[1] + box[3]) / 2] : [x, box[3]];
}

/** Twice the signed area (shoelace). */
export function signedArea2(poly: readonly Point[]): number {
  let s = 0;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) s += (poly[j][0] - poly[i][0]) * (poly[j][1] + poly[i][1]);
  return s;
}

/** Even-odd rule (ray casting); points on the boundary may fall either way. */
export function pointInPolygon(p: Point, poly: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Cross product (b - a) x (p - a): > 0 when p is to the right of a -> b on screen (y grows downwards). */
export function side(a: Point, b: Point, p: Point): number {
  return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
}

const onSegment = (a: Point, b: Point, p: Point) =>
  Math.min(a[0], b[0]) <= p[0] && p[0] <= Math.max(a[0], b[0]) && Math.min(a[1], b[1]) <= p[1] && p[1] <= Math.max(a[1], b[1]);

/** Do segments p1-p2 and q1-q2 share a point (touching and collinear overlap included)? */
export function segmentsIntersect(p1: Point, p2: Point, q1: Point, q2: Point): boolean {
  const d1 = side(q1, q2, p1);
  const d2 = side(q1, q2, p2);
  const d3 = side(p1, p2, q1);
  const d4 = side(p1, p2, q2);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  return (d1 === 0 && onSegment(q1, q2, p1)) || (d2 === 0 && onSegment(q1, q2, p2)) || (d3 === 0 && onSegment(p1, p2, q1)) || (d4 === 0 && onSegment(p1, p2, q2));
}

/** Why a polygon cannot be a zone, or null: fewer than 3 points, repeated points, crossing edges, zero area. */
export function polygonProblem(poly: readonly Point[]): string | null {
  if (poly.length < 3) return `has ${poly.length} point(s), a polygon needs at least 3`;
  const n = poly.length;
  if (poly.every((p) => side(poly[0], poly[1], p) === 0)) return 'is degenerate (zero area: its points are on one line)';
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (poly[i][0] === poly[j][0] && poly[i][1] === poly[j][1]) return `point ${j} repeats point ${i} (${poly[i].join(', ')})`;
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      // edges i: poly[i]->poly[i+1]; adjacent edges share a point by construction
      if (j === i + 1 || (i === 0 && j === n - 1)) continue;
      if (segmentsIntersect(poly[i], poly[(i + 1) % n], poly[j], poly[(j + 1) % n])) return `is self-intersecting (edge ${i} crosses edge ${j})`;
    }
  }
  // adjacent edges folding back onto each other (collinear overlap) also make it self-intersecting
  for (let i = 0; i < n; i++) {
    const a = poly[(i + n - 1) % n], b = poly[i], c = poly[(i + 1) % n];
    if (side(a, b, c) === 0 && (b[0] - a[0]) * (c[0] - b[0]) + (b[1] - a[1]) * (c[1] - b[1]) < 0) return `is self-intersecting (edges at point ${i} fold back)`;
  }
  if (signedArea2(poly) === 0) return 'is degenerate (zero area)';
  return null;
}

/**
 * The direction in which a move from `prev` to `cur` crosses the segment a -> b, or null when it does not:
 * "in" from its left to its right (on screen, walking from a to b), "out" the other way.
 */
export function crossing(a: Point, b: Point, prev: Point, cur: Point): 'in' | 'out' | null {
  const s0 = side(a, b, prev);
  const s1 = side(a, b, cur);
  if (s0 === 0 || s1 === 0 || s0 > 0 === s1 > 0) return null;
  if (!segmentsIntersect(a, b, prev, cur)) return null;
  return s0 < 0 ? 'in' : 'out';
}
