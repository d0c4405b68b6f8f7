// The demo video's motion plan: objects of the synthetic classes on constant-velocity paths. Some
// bounce inside the frame and later fly out, others cross it from one edge to another; they spin,
// overlap (fixed depth order per object) and pass over a slowly changing background. Everything is
// decided up front from the seed, so frame n is a pure function of (options, n).

import { Rng } from '../data/random.ts';
import { hsvToRgb } from './classes.ts';
import { placedExtent } from './shapes.ts';
import { randomDistractors, randomObject, type Background, type Distractor, type Scene, type SceneObject } from './scene.ts';

export interface DemoPlanOptions {
  seconds: number;
  fps: number;
  width: number;
  height: number;
  seed: number;
}

interface Track {
  object: SceneObject;
  trackId: number;
  /** Depth: higher is drawn later (in front). */
  z: number;
  birth: number;
  /** Frame from which a bouncing object stops bouncing and leaves; Infinity for crossing objects. */
  leaveAt: number;
  bounce: boolean;
  vx: number;
  vy: number;
  spin: number;
  /** Per-frame placements from birth on; undefined once the object has left. */
  path: SceneObject['placement'][];
}

export interface DemoPlan {
  frames: number;
  width: number;
  height: number;
  sceneAt(frame: number): Scene;
}

function offscreen(o: SceneObject, w: number, h: number): boolean {
  const [x1, y1, x2, y2] = placedExtent(o.kind, o.placement);
  return x2 < 0 || y2 < 0 || x1 > w || y1 > h;
}

function simulate(t: Track, frames: number, w: number, h: number): void {
  let p = { ...t.object.placement };
  let { vx, vy } = t;
  for (let f = t.birth; f < frames; f++) {
    t.path.push({ ...p });
    const next = { ...p, cx: p.cx + vx, cy: p.cy + vy, angle: p.angle + t.spin };
    if (t.bounce && f < t.leaveAt) {
      const r = Math.max(p.ax, p.ay);
      if (next.cx < r || next.cx > w - r) vx = -vx;
      if (next.cy < r || next.cy > h - r) vy = -vy;
    }
    p = next;
    if (offscreen({ ...t.object, placement: p }, w, h) && !(t.bounce && f < t.leaveAt)) {
      // Left the frame for good (crossing objects start outside, so only count after they entered).
      if (t.path.some((q) => !offscreen({ ...t.object, placement: q }, w, h))) break;
    }
  }
}

export function planDemo(opts: DemoPlanOptions): DemoPlan {
  const { width: w, height: h, fps } = opts;
  const frames = Math.round(opts.seconds * fps);
  const rng = new Rng(opts.seed);
  const tracks: Track[] = [];
  const minSize = 14;
  const maxSize = Math.min(150, 0.6 * Math.min(w, h));
  const add = (object: SceneObject, birth: number, bounce: boolean, vx: number, vy: number, leaveAt: number): void => {
    const trackId = tracks.length + 1;
    tracks.push({ object: { ...object, trackId }, trackId, z: rng.next(), birth, leaveAt, bounce, vx, vy, spin: rng.uniform(-0.05, 0.05), path: [] });
  };
  // Objects present from the start that bounce around, some of them leaving midway.
  const nBounce = rng.int(4, 6);
  for (let i = 0; i < nBounce; i++) {
    const o = randomObject(rng, 0, 0, minSize, maxSize, 0.1);
    const r = Math.max(o.placement.ax, o.placement.ay);
    o.placement.cx = rng.uniform(r, Math.max(r + 1, w - r));
    o.placement.cy = rng.uniform(r, Math.max(r + 1, h - r));
    const speed = rng.uniform(40, 160) / fps;
    const dir = rng.uniform(0, 2 * Math.PI);
    const leaveAt = rng.chance(0.4) ? rng.int(Math.floor(frames / 3), frames) : Infinity;
    add(o, 0, true, speed * Math.cos(dir), speed * Math.sin(dir), leaveAt);
  }
  // Objects crossing from one edge to the opposite side, arriving throughout the video.
  for (let birth = rng.int(0, fps); birth < frames; birth += rng.int(Math.ceil(fps / 3), fps * 2)) {
    const o = randomObject(rng, 0, 0, minSize, maxSize, 0.1);
    const r = Math.hypot(o.placement.ax, o.placement.ay);
    const edge = rng.int(0, 3);
    const along = rng.uniform(0.15, 0.85);
    const [cx, cy, dir] =
      edge === 0 ? [-r, along * h, 0] : edge === 1 ? [w + r, along * h, Math.PI] : edge === 2 ? [along * w, -r, Math.PI / 2] : [along * w, h + r, -Math.PI / 2];
    o.placement.cx = cx;
    o.placement.cy = cy;
    const speed = rng.uniform(60, 220) / fps;
    const d = dir + rng.uniform(-0.5, 0.5);
    add(o, birth, false, speed * Math.cos(d), speed * Math.sin(d), Infinity);
  }
  for (const t of tracks) simulate(t, frames, w, h);
  tracks.sort((a, b) => a.z - b.z);

  const hue = rng.uniform(0, 360);
  const bgSeed = rng.int(0, 0x7fffffff);
  const distractors: Distractor[] = randomDistractors(rng, w, h, 5, 2);
  const drift = [rng.uniform(-1.5, 1.5), rng.uniform(-1, 1)];
  const lightPhase = rng.uniform(0, 2 * Math.PI);

  return {
    frames,
    width: w,
    height: h,
    sceneAt(frame: number): Scene {
      const t = frame / fps;
      const background: Background = {
        color0: hsvToRgb(hue + 12 * t, 0.25, 0.55 + 0.1 * Math.sin(t * 0.7)),
        color1: hsvToRgb(hue + 50 + 8 * t, 0.2, 0.3),
        gradAngle: 0.3 + 0.08 * t,
        noiseAmp: 30,
        noiseCell: 60,
        noiseSeed: bgSeed,
        noiseOffset: [frame * 1.2, frame * 0.4],
      };
      const objects: SceneObject[] = [];
      for (const tr of tracks) {
        const p = tr.path[frame - tr.birth];
        if (frame >= tr.birth && p) objects.push({ ...tr.object, placement: p });
      }
      return {
        width: w,
        height: h,
        background,
        distractors: distractors.map((d) =>
          d.kind === 'polyline'
            ? { ...d, points: d.points.map(([x, y]) => [x + drift[0] * frame, y + drift[1] * frame] as [number, number]) }
            : { ...d, cx: d.cx + drift[0] * frame, cy: d.cy + drift[1] * frame },
        ),
        objects,
        effects: { light: { angle: lightPhase + 0.15 * t, lo: 0.8, hi: 1.15 }, blur: 0, noiseSigma: 1.5, noiseSeed: frame + 1 },
      };
    },
  };
}
