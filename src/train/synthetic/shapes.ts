// Geometry of the synthetic object classes. Each shape lives in the unit square [-1, 1]^2 of its own
// frame; an object places it with a centre, two half-axes (stretch) and a rotation. The ground-truth
// box is the exact extent of the placed outline, computed analytically (not from pixels).

export type ShapeKind = 'circle' | 'square' | 'triangle' | 'star' | 'ring' | 'cross';

export interface Placement {
  cx: number;
  cy: number;
  /** Half-axes in pixels along the shape's own x and y (before rotation). */
  ax: number;
  ay: number;
  /** Rotation in radians (clockwise in image coordinates, y down). */
  angle: number;
}

type Pt = [number, number];

const RING_INNER = 0.55;
const CROSS_ARM = 1 / 3;
const STAR_INNER = 0.45;

function starPolygon(): Pt[] {
  const pts: Pt[] = [];
  for (let i = 0; i < 10; i++) {
    const r = i % 2 === 0 ? 1 : STAR_INNER;
    const t = -Math.PI / 2 + (i * Math.PI) / 5;
    pts.push([r * Math.cos(t), r * Math.sin(t)]);
  }
  return pts;
}

const a = CROSS_ARM;
const POLYGONS: Partial<Record<ShapeKind, Pt[]>> = {
  square: [[-1, -1], [1, -1], [1, 1], [-1, 1]],
  triangle: [[0, -1], [1, 1], [-1, 1]],
  star: starPolygon(),
  cross: [[-a, -1], [a, -1], [a, -a], [1, -a], [1, a], [a, a], [a, 1], [-a, 1], [-a, a], [-1, a], [-1, -a], [-a, -a]],
};

function polygonArea(pts: Pt[]): number {
  let s = 0;
  for (let i = 0; i < pts.length; i++) {
    const [x0, y0] = pts[i];
    const [x1, y1] = pts[(i + 1) % pts.length];
    s += x0 * y1 - x1 * y0;
  }
  return Math.abs(s) / 2;
}

/** Even-odd point-in-polygon test. */
function inPolygon(pts: Pt[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i];
    const [xj, yj] = pts[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Is the unit-frame point (u, v) inside the shape? */
export function insideUnit(kind: ShapeKind, u: number, v: number): boolean {
  switch (kind) {
    case 'circle':
      return u * u + v * v <= 1;
    case 'ring': {
      const r2 = u * u + v * v;
      return r2 <= 1 && r2 >= RING_INNER * RING_INNER;
    }
    case 'square':
      return u >= -1 && u <= 1 && v >= -1 && v <= 1;
    case 'cross':
      return (Math.abs(u) <= a && Math.abs(v) <= 1) || (Math.abs(v) <= a && Math.abs(u) <= 1);
    case 'triangle':
      // Apex (0,-1), base from (-1,1) to (1,1): |u| <= (v + 1) / 2.
      return v <= 1 && Math.abs(u) <= (v + 1) / 2;
    case 'star':
      return inPolygon(POLYGONS.star!, u, v);
  }
}

/** Area of the unit shape (the placed area is this times ax * ay). */
export function unitArea(kind: ShapeKind): number {
  if (kind === 'circle') return Math.PI;
  if (kind === 'ring') return Math.PI * (1 - RING_INNER * RING_INNER);
  return polygonArea(POLYGONS[kind]!);
}

/** Maps an image point to the shape's unit frame. */
export function toUnit(p: Placement): (x: number, y: number) => [number, number] {
  const c = Math.cos(p.angle);
  const s = Math.sin(p.angle);
  return (x, y) => {
    const dx = x - p.cx;
    const dy = y - p.cy;
    return [(c * dx + s * dy) / p.ax, (-s * dx + c * dy) / p.ay];
  };
}

/** Exact extent [x1, y1, x2, y2] of the placed outline (not clipped to any image). */
export function placedExtent(kind: ShapeKind, p: Placement): [number, number, number, number] {
  const c = Math.cos(p.angle);
  const s = Math.sin(p.angle);
  const poly = POLYGONS[kind];
  if (!poly) {
    // Ellipse with half-axes ax, ay rotated by angle.
    const hw = Math.hypot(p.ax * c, p.ay * s);
    const hh = Math.hypot(p.ax * s, p.ay * c);
    return [p.cx - hw, p.cy - hh, p.cx + hw, p.cy + hh];
  }
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  for (const [u, v] of poly) {
    const lx = u * p.ax;
    const ly = v * p.ay;
    const x = p.cx + c * lx - s * ly;
    const y = p.cy + s * lx + c * ly;
    x1 = Math.min(x1, x); y1 = Math.min(y1, y); x2 = Math.max(x2, x); y2 = Math.max(y2, y);
  }
  return [x1, y1, x2, y2];
}
