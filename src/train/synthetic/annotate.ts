// Ground truth for a rendered scene.
//
// Box convention: the box is the exact extent of the WHOLE object outline (amodal: parts hidden
// behind other objects are included), clipped to the image. Visibility is measured on the id map:
// visible_fraction = pixels where the object is on top / its full analytic area (so it also drops
// when the object is cut by the image border). `area` is the visible pixel count (COCO's area is the
// visible mask area). Objects below a visibility threshold are removed from a still scene before it
// is painted (dropInvisible), so a still image never shows an unlabelled object; the video instead
// labels them iscrowd=1 (COCO evaluation ignores matches to them).

import { SHAPE_CLASSES } from './classes.ts';
import { placedExtent, unitArea } from './shapes.ts';
import { renderIds } from './raster.ts';
import type { Scene, SceneObject } from './scene.ts';

export interface ObjectTruth {
  /** Index into scene.objects. */
  index: number;
  categoryId: number;
  /** [x1, y1, x2, y2] in pixels, clipped to the image. */
  box: [number, number, number, number];
  visiblePixels: number;
  visibleFraction: number;
}

export function objectTruths(scene: Scene, ids: Int16Array): ObjectTruth[] {
  const counts = new Int32Array(scene.objects.length);
  for (let i = 0; i < ids.length; i++) if (ids[i] >= 0) counts[ids[i]]++;
  return scene.objects.map((obj, index) => {
    const [x1, y1, x2, y2] = placedExtent(obj.kind, obj.placement);
    const full = unitArea(obj.kind) * obj.placement.ax * obj.placement.ay;
    return {
      index,
      categoryId: SHAPE_CLASSES[obj.classIndex].id,
      box: [
        Math.max(0, Math.min(scene.width, x1)),
        Math.max(0, Math.min(scene.height, y1)),
        Math.max(0, Math.min(scene.width, x2)),
        Math.max(0, Math.min(scene.height, y2)),
      ],
      visiblePixels: counts[index],
      visibleFraction: Math.min(1, counts[index] / full),
    };
  });
}

/**
 * Removes objects that would be less than `minVisible` visible or whose clipped box is thinner than
 * `minBoxSide` pixels. Removing an object never hides another, so one pass is enough.
 */
export function dropInvisible(scene: Scene, minVisible: number, minBoxSide: number): Scene {
  const truths = objectTruths(scene, renderIds(scene.width, scene.height, scene.objects));
  const keep: SceneObject[] = [];
  for (const t of truths) {
    const [x1, y1, x2, y2] = t.box;
    if (t.visibleFraction >= minVisible && x2 - x1 >= minBoxSide && y2 - y1 >= minBoxSide) keep.push(scene.objects[t.index]);
  }
  return { ...scene, objects: keep };
}

/** Rounds to 1/100 pixel so the JSON stays short and stable. */
export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
