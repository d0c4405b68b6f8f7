// The classes of the synthetic detection task, in category-id order (COCO id = index + 1).
// Shape is what defines a class; each class also has a typical hue, so colour is a helpful but
// imperfect cue (objects sometimes take any hue: see scene.ts).

import type { ShapeKind } from './shapes.ts';

export interface ShapeClass {
  /** COCO category id, 1..C. */
  id: number;
  name: ShapeKind;
  /** Typical hue in degrees. */
  hue: number;
}

export const SHAPE_CLASSES: readonly ShapeClass[] = [
  { id: 1, name: 'circle', hue: 0 },
  { id: 2, name: 'square', hue: 215 },
  { id: 3, name: 'triangle', hue: 120 },
  { id: 4, name: 'star', hue: 52 },
  { id: 5, name: 'ring', hue: 295 },
  { id: 6, name: 'cross', hue: 175 },
];

export const CLASS_NAMES: readonly string[] = SHAPE_CLASSES.map((c) => c.name);

/** COCO `categories` entries for the synthetic classes. */
export function cocoCategories(): { id: number; name: string; supercategory: string }[] {
  return SHAPE_CLASSES.map((c) => ({ id: c.id, name: c.name, supercategory: 'shape' }));
}

/** HSV (h in degrees, s and v in [0, 1]) to RGB in [0, 255]. */
export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const hh = (((h % 360) + 360) % 360) / 60;
  const i = Math.floor(hh);
  const f = hh - i;
  const p = v * (1 - s);
  const q = v * (1 - s * f);
  const t = v * (1 - s * (1 - f));
  const rgb: [number, number, number][] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]];
  const [r, g, b] = rgb[i % 6];
  return [r * 255, g * 255, b * 255];
}
