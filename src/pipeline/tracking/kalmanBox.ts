// Constant-velocity Kalman filter on a box, as ByteTrack/DeepSORT: state (cx, cy, a, h) and their velocities,
// a = width / height. Noise is proportional to the box height (std 1/20 of h for positions, 1/160 for
// velocities; the aspect ratio has fixed small noise).
// ByteTrack's 8x8 filter has F = [[I, I], [0, I]], H = [I 0] and diagonal P0, Q, R, so its covariance stays
// block-diagonal: each coordinate and its velocity form an independent 2x2 filter. We keep the four 2x2
// blocks (a, b, c) = [[var p, cov pv], [cov pv, var v]], which gives the same numbers at a fraction of the cost
// (test/pipeline/tracking/kalmanBox.test.ts checks it against the full 8x8 matrices).
import type { Box } from './boxes.ts';

const W_POS = 1 / 20;
const W_VEL = 1 / 160;

export interface KalmanBox {
  /** cx, cy, a, h */
  p: Float64Array;
  /** their velocities (per frame) */
  v: Float64Array;
  /** per coordinate: var p, cov pv, var v */
  a: Float64Array;
  b: Float64Array;
  c: Float64Array;
}

export function toXyah(box: Box): [number, number, number, number] {
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  return [box[0] + w / 2, box[1] + h / 2, h > 0 ? w / h : 0, h];
}

export function toBox(k: KalmanBox): Box {
  const [cx, cy, a, h] = k.p;
  const w = a * h;
  return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
}

/** A new filter at the measured box, velocities 0 (ByteTrack's initiate). */
export function initiate(box: Box): KalmanBox {
  const m = toXyah(box);
  const h = m[3];
  const sp = [2 * W_POS * h, 2 * W_POS * h, 1e-2, 2 * W_POS * h];
  const sv = [10 * W_VEL * h, 10 * W_VEL * h, 1e-5, 10 * W_VEL * h];
  return {
    p: Float64Array.from(m),
    v: new Float64Array(4),
    a: Float64Array.from(sp, (s) => s * s),
    b: new Float64Array(4),
    c: Float64Array.from(sv, (s) => s * s),
  };
}

/** One frame ahead. `keepHeightVelocity` false zeroes the height velocity first (ByteTrack does it for lost tracks). */
export function predict(k: KalmanBox, keepHeightVelocity = true): void {
  if (!keepHeightVelocity) k.v[3] = 0;
  const h = k.p[3];
  for (let i = 0; i < 4; i++) {
    const qp = i === 2 ? 1e-4 : (W_POS * h) ** 2;
    const qv = i === 2 ? 1e-10 : (W_VEL * h) ** 2;
    k.p[i] += k.v[i];
    const a = k.a[i], b = k.b[i], c = k.c[i];
    k.a[i] = a + 2 * b + c + qp;
    k.b[i] = b + c;
    k.c[i] = c + qv;
  }
}

/** Correct with a measured box. */
export function update(k: KalmanBox, box: Box): void {
  const z = toXyah(box);
  const h = k.p[3];
  for (let i = 0; i < 4; i++) {
    const r = i === 2 ? 1e-2 : (W_POS * h) ** 2;
    const a = k.a[i], b = k.b[i], c = k.c[i];
    const s = a + r;
    const ka = a / s;
    const kb = b / s;
    const innovation = z[i] - k.p[i];
    k.p[i] += ka * innovation;
    k.v[i] += kb * innovation;
    k.a[i] = a - ka * a;
    k.b[i] = b - ka * b;
    k.c[i] = c - kb * b;
  }
}
