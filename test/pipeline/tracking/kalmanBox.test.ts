// The 2x2-block Kalman filter against ByteTrack's 8x8 filter written out with full matrices
// (yolox/tracker/kalman_filter.py: F = [[I, I], [0, I]], H = [I, 0], noise from the box height).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initiate, predict, toBox, toXyah, update } from '../../../src/pipeline/tracking/kalmanBox.ts';
import type { Box } from '../../../src/pipeline/tracking/boxes.ts';

type M = number[][];
const zeros = (r: number, c: number): M => Array.from({ length: r }, () => new Array(c).fill(0));
const eye = (n: number): M => zeros(n, n).map((row, i) => row.map((_, j) => (i === j ? 1 : 0)));
const mul = (a: M, b: M): M => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const tr = (a: M): M => a[0].map((_, j) => a.map((row) => row[j]));
const add = (a: M, b: M): M => a.map((row, i) => row.map((v, j) => v + b[i][j]));
const sub = (a: M, b: M): M => a.map((row, i) => row.map((v, j) => v - b[i][j]));
const diag = (v: number[]): M => v.map((x, i) => v.map((_, j) => (i === j ? x : 0)));
/** Gauss-Jordan inverse (4x4 here). */
function inv(a: M): M {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...eye(n)[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    const d = m[c][c];
    for (let j = 0; j < 2 * n; j++) m[c][j] /= d;
    for (let r = 0; r < n; r++) if (r !== c) { const f = m[r][c]; for (let j = 0; j < 2 * n; j++) m[r][j] -= f * m[c][j]; }
  }
  return m.map((row) => row.slice(n));
}

/** ByteTrack's KalmanFilter, literally. */
class Reference {
  mean: M;
  cov: M;
  F = add(eye(8), zeros(8, 8).map((row, i) => row.map((_, j) => (j === i + 4 ? 1 : 0))));
  H = eye(8).slice(0, 4);
  constructor(box: Box) {
    const z = toXyah(box);
    const h = z[3];
    this.mean = [...z, 0, 0, 0, 0].map((v) => [v]);
    const std = [2 * h / 20, 2 * h / 20, 1e-2, 2 * h / 20, 10 * h / 160, 10 * h / 160, 1e-5, 10 * h / 160];
    this.cov = diag(std.map((s) => s * s));
  }
  predict() {
    const h = this.mean[3][0];
    const std = [h / 20, h / 20, 1e-2, h / 20, h / 160, h / 160, 1e-5, h / 160];
    this.mean = mul(this.F, this.mean);
    this.cov = add(mul(mul(this.F, this.cov), tr(this.F)), diag(std.map((s) => s * s)));
  }
  update(box: Box) {
    const h = this.mean[3][0];
    const R = diag([h / 20, h / 20, 1e-1, h / 20].map((s) => s * s));
    const S = add(mul(mul(this.H, this.cov), tr(this.H)), R);
    const K = mul(mul(this.cov, tr(this.H)), inv(S));
    const innovation = sub(toXyah(box).map((v) => [v]), mul(this.H, this.mean));
    this.mean = add(this.mean, mul(K, innovation));
    this.cov = sub(this.cov, mul(mul(K, S), tr(K)));
  }
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

describe('kalmanBox', () => {
  it('xyah round trip', () => {
    const k = initiate([10, 20, 50, 100]);
    assert.deepEqual(toBox(k), [10, 20, 50, 100]);
    assert.deepEqual(toXyah([10, 20, 50, 100]), [30, 60, 0.5, 80]);
  });

  for (const seed of [1, 2, 3]) {
    it(`equals the full 8x8 filter over 40 noisy frames with gaps (seed ${seed})`, () => {
      const r = rng(seed);
      let box: [number, number, number, number] = [100, 100, 140, 200];
      const ours = initiate(box);
      const ref = new Reference(box);
      for (let t = 0; t < 40; t++) {
        box = [box[0] + 3 + r(), box[1] - 1 + r(), box[2] + 3 + r() * 2, box[3] - 1 + r() * 2];
        predict(ours);
        ref.predict();
        if (t % 7 === 3) continue; // a frame without a detection: predicted only
        update(ours, box);
        ref.update(box);
        for (let i = 0; i < 4; i++) {
          assert.ok(Math.abs(ours.p[i] - ref.mean[i][0]) < 1e-9 * Math.max(1, Math.abs(ref.mean[i][0])), `mean ${i} at frame ${t}`);
          assert.ok(Math.abs(ours.v[i] - ref.mean[i + 4][0]) < 1e-9 * Math.max(1, Math.abs(ref.mean[i + 4][0])), `velocity ${i} at frame ${t}`);
          for (const [got, want] of [[ours.a[i], ref.cov[i][i]], [ours.b[i], ref.cov[i][i + 4]], [ours.c[i], ref.cov[i + 4][i + 4]]]) {
            assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(1e-6, Math.abs(want)), `covariance of ${i} at frame ${t}: ${got} vs ${want}`);
          }
          // and the off-block entries of the reference stay zero: the blocks really are independent
          for (let j = 0; j < 4; j++) if (j !== i) assert.ok(Math.abs(ref.cov[i][j]) < 1e-12 && Math.abs(ref.cov[i][j + 4]) < 1e-12);
        }
      }
    });
  }

  it('follows a box moving at constant velocity: the prediction lands on the next box', () => {
    const k = initiate([0, 0, 20, 40]);
    for (let t = 1; t <= 30; t++) {
      predict(k);
      update(k, [5 * t, 2 * t, 20 + 5 * t, 40 + 2 * t]);
    }
    predict(k);
    const b = toBox(k);
    assert.ok(Math.abs(b[0] - 155) < 0.5 && Math.abs(b[1] - 62) < 0.5, `predicted ${b.map((v) => v.toFixed(2))}`);
  });
});
