// What a synthetic image contains, as plain data: a background, distractors (lines, soft blobs; never
// one of the classes), objects painted back to front (later ones occlude earlier ones), and
// whole-image effects. raster.ts turns a Scene into pixels; sampleStillScene draws a random one.

import { Rng } from '../data/random.ts';
import { SHAPE_CLASSES, hsvToRgb } from './classes.ts';
import type { Placement, ShapeKind } from './shapes.ts';

export type Rgb = [number, number, number];

export interface Texture {
  kind: 'solid' | 'stripes' | 'checker' | 'radial';
  color1: Rgb;
  color2: Rgb;
  /** Cycles across the object (stripes, checker). */
  freq: number;
  /** Stripe direction in the object's frame, radians. */
  dir: number;
}

export interface SceneObject {
  /** Contiguous class index 0..C-1 into SHAPE_CLASSES. */
  classIndex: number;
  kind: ShapeKind;
  placement: Placement;
  texture: Texture;
  /** Caller's identity for the object (track id in the video); defaults to its position in the list. */
  trackId?: number;
}

export interface Background {
  color0: Rgb;
  color1: Rgb;
  /** Direction of the colour gradient, radians. */
  gradAngle: number;
  /** Amplitude (0..255) and cell size (px) of smooth value noise; offset scrolls it. */
  noiseAmp: number;
  noiseCell: number;
  noiseSeed: number;
  noiseOffset: [number, number];
}

export type Distractor =
  | { kind: 'polyline'; points: [number, number][]; width: number; color: Rgb; opacity: number }
  | { kind: 'blob'; cx: number; cy: number; radius: number; color: Rgb; opacity: number };

export interface Effects {
  /** Multiplicative lighting ramp from `lo` to `hi` along `angle`. */
  light: { angle: number; lo: number; hi: number };
  /** Box-blur radius in pixels (0 = none). */
  blur: number;
  /** Standard deviation of per-pixel Gaussian noise, 0..255 units. */
  noiseSigma: number;
  noiseSeed: number;
}

export interface Scene {
  width: number;
  height: number;
  background: Background;
  distractors: Distractor[];
  objects: SceneObject[];
  effects: Effects;
}

export interface StillSceneOptions {
  /** Most objects per image (at least 1 is placed before the visibility filter). */
  maxObjects?: number;
  /** Smallest and largest object size (longest side of the unrotated shape), pixels. */
  minSize?: number;
  maxSize?: number;
  /** Probability that an object ignores its class hue and takes any hue. */
  offHueProb?: number;
}

export function randomTexture(rng: Rng, classIndex: number, offHueProb: number): Texture {
  const hue = rng.chance(offHueProb) ? rng.uniform(0, 360) : SHAPE_CLASSES[classIndex].hue + rng.uniform(-22, 22);
  const color1 = hsvToRgb(hue, rng.uniform(0.55, 1), rng.uniform(0.5, 1));
  const color2 = hsvToRgb(hue + rng.uniform(-30, 30), rng.uniform(0.3, 1), rng.uniform(0.2, 0.7));
  const kind = rng.pick(['solid', 'solid', 'stripes', 'checker', 'radial'] as const);
  return { kind, color1, color2, freq: rng.uniform(1.5, 4), dir: rng.uniform(0, Math.PI) };
}

/** An object of a random class with log-uniform size, stretch in [1/1.8, 1.8] and any rotation. */
export function randomObject(rng: Rng, cx: number, cy: number, minSize: number, maxSize: number, offHueProb: number): SceneObject {
  const classIndex = rng.int(0, SHAPE_CLASSES.length - 1);
  const size = rng.logUniform(minSize, maxSize);
  const stretch = rng.logUniform(1 / 1.8, 1.8);
  const ax = stretch >= 1 ? size / 2 : (size / 2) * stretch;
  const ay = stretch >= 1 ? size / 2 / stretch : size / 2;
  return {
    classIndex,
    kind: SHAPE_CLASSES[classIndex].name,
    placement: { cx, cy, ax, ay, angle: rng.uniform(0, 2 * Math.PI) },
    texture: randomTexture(rng, classIndex, offHueProb),
  };
}

export function randomBackground(rng: Rng): Background {
  const hue = rng.uniform(0, 360);
  return {
    color0: hsvToRgb(hue, rng.uniform(0, 0.35), rng.uniform(0.15, 0.9)),
    color1: hsvToRgb(hue + rng.uniform(-60, 60), rng.uniform(0, 0.35), rng.uniform(0.15, 0.9)),
    gradAngle: rng.uniform(0, 2 * Math.PI),
    noiseAmp: rng.uniform(0, 50),
    noiseCell: rng.uniform(12, 90),
    noiseSeed: rng.int(0, 0x7fffffff),
    noiseOffset: [0, 0],
  };
}

export function randomDistractors(rng: Rng, width: number, height: number, maxLines: number, maxBlobs: number): Distractor[] {
  const out: Distractor[] = [];
  const nLines = rng.int(0, maxLines);
  for (let i = 0; i < nLines; i++) {
    const color = hsvToRgb(rng.uniform(0, 360), rng.uniform(0, 1), rng.uniform(0.1, 1));
    const points: [number, number][] = [[rng.uniform(-20, width + 20), rng.uniform(-20, height + 20)]];
    const style = rng.pick(['straight', 'zigzag', 'wave'] as const);
    const len = rng.uniform(30, Math.max(width, height));
    const dir = rng.uniform(0, 2 * Math.PI);
    const steps = style === 'straight' ? 1 : rng.int(3, 12);
    const amp = rng.uniform(3, 25);
    const [x0, y0] = points[0];
    for (let s = 1; s <= steps; s++) {
      const t = (s / steps) * len;
      const off = style === 'zigzag' ? (s % 2 ? amp : -amp) : style === 'wave' ? amp * Math.sin(s * 0.9) : 0;
      points.push([x0 + Math.cos(dir) * t - Math.sin(dir) * off, y0 + Math.sin(dir) * t + Math.cos(dir) * off]);
    }
    out.push({ kind: 'polyline', points, width: rng.uniform(1, 5), color, opacity: rng.uniform(0.4, 1) });
  }
  const nBlobs = rng.int(0, maxBlobs);
  for (let i = 0; i < nBlobs; i++) {
    out.push({
      kind: 'blob',
      cx: rng.uniform(0, width),
      cy: rng.uniform(0, height),
      radius: rng.uniform(8, 80),
      color: hsvToRgb(rng.uniform(0, 360), rng.uniform(0, 1), rng.uniform(0, 1)),
      opacity: rng.uniform(0.2, 0.7),
    });
  }
  return out;
}

export function randomEffects(rng: Rng, maxNoise: number): Effects {
  const lo = rng.uniform(0.55, 1);
  return {
    light: { angle: rng.uniform(0, 2 * Math.PI), lo, hi: lo + rng.uniform(0, 0.6) },
    blur: rng.chance(0.25) ? rng.int(1, 2) : 0,
    noiseSigma: rng.uniform(0, maxNoise),
    noiseSeed: rng.int(0, 0x7fffffff),
  };
}

/** A random still image scene. Objects may cross the image border and overlap each other. */
export function sampleStillScene(rng: Rng, width: number, height: number, opts: StillSceneOptions = {}): Scene {
  const maxObjects = opts.maxObjects ?? 10;
  const minSize = opts.minSize ?? 10;
  const maxSize = Math.max(minSize, Math.min(opts.maxSize ?? 200, 0.9 * Math.min(width, height)));
  const offHueProb = opts.offHueProb ?? 0.15;
  const background = randomBackground(rng);
  const distractors = randomDistractors(rng, width, height, 6, 3);
  const n = rng.int(Math.min(2, maxObjects), maxObjects);
  const objects: SceneObject[] = [];
  for (let i = 0; i < n; i++) {
    const cx = rng.uniform(-0.05 * width, 1.05 * width);
    const cy = rng.uniform(-0.05 * height, 1.05 * height);
    objects.push(randomObject(rng, cx, cy, minSize, maxSize, offHueProb));
  }
  return { width, height, background, distractors, objects, effects: randomEffects(rng, 8) };
}
