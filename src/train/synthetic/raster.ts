// Renders a Scene into RGB bytes, in pure TypeScript. Edges are anti-aliased by supersampling the
// pixels an outline passes through (4x4 samples). Alongside the pixels it returns an id map: for every
// pixel, the index of the topmost object covering at least half of it (-1 for none), which is what the
// visibility of an object (and the tests) are measured on.

import { insideUnit, placedExtent } from './shapes.ts';
import type { Background, Distractor, Effects, Rgb, Scene, SceneObject, Texture } from './scene.ts';

export interface Rendered {
  width: number;
  height: number;
  /** height x width x 3 RGB bytes. */
  rgb: Uint8Array;
  /** height x width object indices into scene.objects (topmost with coverage >= 0.5), -1 elsewhere. */
  ids: Int16Array;
}

const SUB = 4; // supersampling grid per axis at edge pixels
const NOISE_STEP = 4; // background noise sampling step, pixels

function hash2(x: number, y: number, seed: number): number {
  let h = Math.imul(x | 0, 0x27d4eb2d) ^ Math.imul(y | 0, 0x165667b1) ^ Math.imul(seed | 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Smooth value noise in [0, 1) with lattice spacing 1. */
export function valueNoise(x: number, y: number, seed: number): number {
  const ix = Math.floor(x);
  const iy = Math.floor(y);
  const fx = x - ix;
  const fy = y - iy;
  const sx = fx * fx * (3 - 2 * fx);
  const sy = fy * fy * (3 - 2 * fy);
  const a = hash2(ix, iy, seed);
  const b = hash2(ix + 1, iy, seed);
  const c = hash2(ix, iy + 1, seed);
  const d = hash2(ix + 1, iy + 1, seed);
  return a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy;
}

function paintBackground(canvas: Float32Array, w: number, h: number, bg: Background): void {
  const gx = Math.cos(bg.gradAngle);
  const gy = Math.sin(bg.gradAngle);
  const span = Math.abs(gx) * w + Math.abs(gy) * h || 1;
  const base = Math.min(0, gx * w) + Math.min(0, gy * h);
  const [ox, oy] = bg.noiseOffset;
  const inv = 1 / bg.noiseCell;
  // The noise is smooth (finest octave ~4 px or more), so it is sampled every NOISE_STEP pixels and
  // interpolated bilinearly.
  const gw = Math.ceil(w / NOISE_STEP) + 2;
  const gh = Math.ceil(h / NOISE_STEP) + 2;
  const grid = new Float32Array(gw * gh);
  for (let j = 0; j < gh; j++) {
    for (let i = 0; i < gw; i++) {
      const x = i * NOISE_STEP + ox;
      const y = j * NOISE_STEP + oy;
      grid[j * gw + i] =
        bg.noiseAmp * (0.65 * valueNoise(x * inv, y * inv, bg.noiseSeed) + 0.35 * valueNoise(x * inv * 3.1, y * inv * 3.1, bg.noiseSeed + 1) - 0.5);
    }
  }
  const [r0, g0, b0] = bg.color0;
  const dr = bg.color1[0] - r0, dg = bg.color1[1] - g0, db = bg.color1[2] - b0;
  for (let y = 0; y < h; y++) {
    const j = Math.floor(y / NOISE_STEP);
    const fy = y / NOISE_STEP - j;
    for (let x = 0; x < w; x++) {
      const i0 = Math.floor(x / NOISE_STEP);
      const fx = x / NOISE_STEP - i0;
      const k = j * gw + i0;
      const top = grid[k] + (grid[k + 1] - grid[k]) * fx;
      const bot = grid[k + gw] + (grid[k + gw + 1] - grid[k + gw]) * fx;
      const n = top + (bot - top) * fy;
      const t = (gx * x + gy * y - base) / span;
      const p = (y * w + x) * 3;
      canvas[p] = r0 + dr * t + n;
      canvas[p + 1] = g0 + dg * t + n;
      canvas[p + 2] = b0 + db * t + n;
    }
  }
}

function blend(canvas: Float32Array, p: number, color: Rgb, alpha: number): void {
  const i = p * 3;
  canvas[i] += (color[0] - canvas[i]) * alpha;
  canvas[i + 1] += (color[1] - canvas[i + 1]) * alpha;
  canvas[i + 2] += (color[2] - canvas[i + 2]) * alpha;
}

function paintDistractor(canvas: Float32Array, w: number, h: number, d: Distractor): void {
  if (d.kind === 'blob') {
    const sigma = d.radius / 2;
    const x0 = Math.max(0, Math.floor(d.cx - 3 * sigma)), x1 = Math.min(w, Math.ceil(d.cx + 3 * sigma));
    const y0 = Math.max(0, Math.floor(d.cy - 3 * sigma)), y1 = Math.min(h, Math.ceil(d.cy + 3 * sigma));
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const dx = x + 0.5 - d.cx, dy = y + 0.5 - d.cy;
        const a = d.opacity * Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma)) * (0.4 + valueNoise(x / 5, y / 5, 7));
        blend(canvas, y * w + x, d.color, Math.min(1, a));
      }
    }
    return;
  }
  // Polyline: coverage of a pixel is the max over segments of a 1px ramp around the stroke edge.
  const half = d.width / 2;
  const xs = d.points.map((p) => p[0]), ys = d.points.map((p) => p[1]);
  const x0 = Math.max(0, Math.floor(Math.min(...xs) - half - 1)), x1 = Math.min(w, Math.ceil(Math.max(...xs) + half + 1));
  const y0 = Math.max(0, Math.floor(Math.min(...ys) - half - 1)), y1 = Math.min(h, Math.ceil(Math.max(...ys) + half + 1));
  if (x0 >= x1 || y0 >= y1) return;
  const bw = x1 - x0;
  const cov = new Float32Array(bw * (y1 - y0));
  for (let s = 0; s + 1 < d.points.length; s++) {
    const [ax, ay] = d.points[s];
    const [bx, by] = d.points[s + 1];
    const vx = bx - ax, vy = by - ay;
    const len2 = vx * vx + vy * vy || 1;
    const sx0 = Math.max(x0, Math.floor(Math.min(ax, bx) - half - 1)), sx1 = Math.min(x1, Math.ceil(Math.max(ax, bx) + half + 1));
    const sy0 = Math.max(y0, Math.floor(Math.min(ay, by) - half - 1)), sy1 = Math.min(y1, Math.ceil(Math.max(ay, by) + half + 1));
    for (let y = sy0; y < sy1; y++) {
      for (let x = sx0; x < sx1; x++) {
        const px = x + 0.5 - ax, py = y + 0.5 - ay;
        const t = Math.max(0, Math.min(1, (px * vx + py * vy) / len2));
        const dist = Math.hypot(px - t * vx, py - t * vy);
        const c = Math.max(0, Math.min(1, half + 0.5 - dist));
        const k = (y - y0) * bw + (x - x0);
        if (c > cov[k]) cov[k] = c;
      }
    }
  }
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const c = cov[(y - y0) * bw + (x - x0)];
      if (c > 0) blend(canvas, y * w + x, d.color, c * d.opacity);
    }
  }
}

/**
 * Calls `visit(pixelIndex, coverage, u, v)` for every image pixel the object covers (coverage in (0, 1]),
 * with (u, v) the pixel centre in the object's unit frame.
 */
export function forEachCoveredPixel(
  obj: SceneObject,
  w: number,
  h: number,
  visit: (p: number, coverage: number, u: number, v: number) => void,
): void {
  const [ex1, ey1, ex2, ey2] = placedExtent(obj.kind, obj.placement);
  const x0 = Math.max(0, Math.floor(ex1)), x1 = Math.min(w, Math.ceil(ex2));
  const y0 = Math.max(0, Math.floor(ey1)), y1 = Math.min(h, Math.ceil(ey2));
  if (x0 >= x1 || y0 >= y1) return;
  const { cx, cy, ax, ay, angle } = obj.placement;
  const c = Math.cos(angle) / ax, s = Math.sin(angle) / ax;
  const c2 = Math.cos(angle) / ay, s2 = Math.sin(angle) / ay;
  const kind = obj.kind;
  // Unit frame: u = (cos*dx + sin*dy) / ax, v = (-sin*dx + cos*dy) / ay (as toUnit in shapes.ts).
  const inside = (x: number, y: number): number =>
    insideUnit(kind, c * (x - cx) + s * (y - cy), -s2 * (x - cx) + c2 * (y - cy)) ? 1 : 0;
  const nx = x1 - x0 + 1;
  const corners = new Uint8Array(nx * (y1 - y0 + 1));
  for (let j = 0; j <= y1 - y0; j++) for (let i = 0; i < nx; i++) corners[j * nx + i] = inside(x0 + i, y0 + j);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const k = (y - y0) * nx + (x - x0);
      const dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      const u = c * dx + s * dy, v = -s2 * dx + c2 * dy;
      const centre = insideUnit(kind, u, v) ? 1 : 0;
      const sum = corners[k] + corners[k + 1] + corners[k + nx] + corners[k + nx + 1] + centre;
      let coverage: number;
      if (sum === 5) coverage = 1;
      else if (sum === 0) continue;
      else {
        let hits = 0;
        for (let sy = 0; sy < SUB; sy++) for (let sx = 0; sx < SUB; sx++) hits += inside(x + (sx + 0.5) / SUB, y + (sy + 0.5) / SUB);
        if (hits === 0) continue;
        coverage = hits / (SUB * SUB);
      }
      visit(y * w + x, coverage, u, v);
    }
  }
}

function textureColor(t: Texture, u: number, v: number, out: Rgb): Rgb {
  let m: number;
  switch (t.kind) {
    case 'solid':
      m = 0;
      break;
    case 'stripes':
      m = 0.5 + 0.5 * Math.sin((u * Math.cos(t.dir) + v * Math.sin(t.dir)) * t.freq * Math.PI);
      break;
    case 'checker':
      m = 0.5 + 0.5 * Math.tanh(4 * Math.sin(u * t.freq * Math.PI) * Math.sin(v * t.freq * Math.PI));
      break;
    case 'radial':
      m = Math.min(1, Math.hypot(u, v));
      break;
  }
  out[0] = t.color1[0] + (t.color2[0] - t.color1[0]) * m;
  out[1] = t.color1[1] + (t.color2[1] - t.color1[1]) * m;
  out[2] = t.color1[2] + (t.color2[2] - t.color1[2]) * m;
  return out;
}

/** The id map alone (no colours): which object is on top at each pixel. */
export function renderIds(width: number, height: number, objects: readonly SceneObject[]): Int16Array {
  const ids = new Int16Array(width * height).fill(-1);
  objects.forEach((obj, index) => {
    forEachCoveredPixel(obj, width, height, (p, c) => {
      if (c >= 0.5) ids[p] = index;
    });
  });
  return ids;
}

function boxBlur(canvas: Float32Array, w: number, h: number, r: number): void {
  const tmp = new Float32Array(canvas.length);
  const n = 2 * r + 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < 3; ch++) {
        let s = 0;
        for (let d = -r; d <= r; d++) s += canvas[(y * w + Math.min(w - 1, Math.max(0, x + d))) * 3 + ch];
        tmp[(y * w + x) * 3 + ch] = s / n;
      }
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < 3; ch++) {
        let s = 0;
        for (let d = -r; d <= r; d++) s += tmp[(Math.min(h - 1, Math.max(0, y + d)) * w + x) * 3 + ch];
        canvas[(y * w + x) * 3 + ch] = s / n;
      }
    }
  }
}

/** Lighting ramp and noise, then rounding to bytes (Uint8ClampedArray clamps and rounds). */
function finish(canvas: Float32Array, w: number, h: number, fx: Effects): Uint8Array {
  if (fx.blur > 0) boxBlur(canvas, w, h, fx.blur);
  const gx = Math.cos(fx.light.angle), gy = Math.sin(fx.light.angle);
  const span = Math.abs(gx) * w + Math.abs(gy) * h || 1;
  const base = Math.min(0, gx * w) + Math.min(0, gy * h);
  const out = new Uint8ClampedArray(w * h * 3);
  // Noise: sum of two uniforms from a xorshift stream (triangular, sd = sigma).
  let state = (fx.noiseSeed | 0) || 1;
  const sigma = fx.noiseSigma * Math.sqrt(6) / 4294967296;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const gain = fx.light.lo + (fx.light.hi - fx.light.lo) * ((gx * x + gy * y - base) / span);
      const i = (y * w + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        let n = 0;
        if (sigma > 0) {
          state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
          const a = state >>> 0;
          state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
          n = (a + (state >>> 0) - 4294967295) * sigma;
        }
        out[i + ch] = canvas[i + ch] * gain + n;
      }
    }
  }
  return new Uint8Array(out.buffer);
}

export function renderScene(scene: Scene): Rendered {
  const { width: w, height: h } = scene;
  const canvas = new Float32Array(w * h * 3);
  paintBackground(canvas, w, h, scene.background);
  for (const d of scene.distractors) paintDistractor(canvas, w, h, d);
  const ids = new Int16Array(w * h).fill(-1);
  const color: Rgb = [0, 0, 0];
  scene.objects.forEach((obj, index) => {
    forEachCoveredPixel(obj, w, h, (p, c, u, v) => {
      blend(canvas, p, textureColor(obj.texture, u, v, color), c);
      if (c >= 0.5) ids[p] = index;
    });
  });
  return { width: w, height: h, rgb: finish(canvas, w, h, scene.effects), ids };
}
