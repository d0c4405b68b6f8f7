// The figures of `retinastream bench tracking`: our ByteTrack against the demo video's ground truth and against
// supervision's ByteTrack, scored by TrackEval (tools/tracking/*.py; scripts/setup/tracking-reference.sh).
//   (a) the tracker alone: ground-truth boxes with noise, dropouts and false positives as detections;
//   (b) end to end: the demo model's detections on the demo video, fed to both trackers;
//   (c) the cost of one update with 100 detections (and supervision's on the demo detections).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Detection } from '../model/detector.ts';
import { PROJECT_ROOT } from '../projectRoot.ts';
import { ByteTracker, type ByteTrackOptions } from '../pipeline/tracking/byteTrack.ts';
import { RetinaStreamError } from '../errors.ts';

/** The Python references are missing or failed. */
export class TrackingReferenceError extends RetinaStreamError<'RS_ERR_TRACKING_REFERENCE'> {
  constructor(message: string) {
    super('RS_ERR_TRACKING_REFERENCE', message);
  }
}

/** [frame, id, x1, y1, x2, y2] */
export type TrackRow = [number, number, number, number, number, number];
export type Frames = Detection[][];

export interface TrackScores {
  HOTA: number;
  DetA: number;
  AssA: number;
  MOTA: number;
  IDF1: number;
  IDSW: number;
  /** Identity matches, misses and extras (IDF1 = 2 IDTP / (2 IDTP + IDFN + IDFP)). */
  IDTP: number;
  IDFN: number;
  IDFP: number;
  gtIds: number;
  ids: number;
}

export const PYTHON = process.env.RETINASTREAM_PYTHON ?? 'python3';
const TOOLS = join(PROJECT_ROOT, 'tools', 'tracking');

export interface GroundTruth {
  frames: number;
  rows: TrackRow[];
  classNames: Map<number, string>;
  byFrame: Array<Array<{ id: number; classId: number; box: [number, number, number, number] }>>;
}

/** The COCO-style ground truth with track_id (assets/demo/demo.gt.json); crowd (mostly hidden) boxes left out. */
export function loadGroundTruth(path: string): GroundTruth {
  const gt = JSON.parse(readFileSync(path, 'utf8')) as {
    images: Array<{ id: number }>;
    annotations: Array<{ image_id: number; category_id: number; bbox: [number, number, number, number]; iscrowd: number; track_id: number }>;
    categories: Array<{ id: number; name: string }>;
  };
  const frames = gt.images.length;
  const byFrame: GroundTruth['byFrame'] = Array.from({ length: frames }, () => []);
  const rows: TrackRow[] = [];
  for (const a of gt.annotations) {
    if (a.iscrowd) continue;
    const [x, y, w, h] = a.bbox;
    const box: [number, number, number, number] = [x, y, x + w, y + h];
    byFrame[a.image_id].push({ id: a.track_id, classId: a.category_id, box });
    rows.push([a.image_id, a.track_id, ...box]);
  }
  return { frames, rows, byFrame, classNames: new Map(gt.categories.map((c) => [c.id, c.name])) };
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

export interface NoiseOptions {
  seed: number;
  /** Std of the box centre and size noise, as a fraction of the box size. */
  noise: number;
  /** Fraction of ground-truth boxes left out of each frame. */
  dropout: number;
  /** False positives per frame (random boxes, scores 0.3-0.7). */
  falsePositives: number;
  width: number;
  height: number;
}

/**
 * Ground truth turned into detections: jittered boxes, some missing, scores in [0.3, 1), a few false positives.
 * `dropped`: the ground-truth boxes left out.
 */
export function noisyDetections(gt: GroundTruth, o: NoiseOptions): Frames & { dropped: number } {
  const r = rng(o.seed);
  let dropped = 0;
  const frames = gt.byFrame.map((objs) => {
    const dets: Detection[] = [];
    for (const g of objs) {
      if (r() < o.dropout) {
        dropped++;
        continue;
      }
      const [x1, y1, x2, y2] = g.box;
      const w = x2 - x1, h = y2 - y1;
      const cx = (x1 + x2) / 2 + gauss(r) * o.noise * w;
      const cy = (y1 + y2) / 2 + gauss(r) * o.noise * h;
      const nw = w * Math.max(0.2, 1 + gauss(r) * o.noise);
      const nh = h * Math.max(0.2, 1 + gauss(r) * o.noise);
      dets.push({ box: [cx - nw / 2, cy - nh / 2, cx + nw / 2, cy + nh / 2], score: 0.3 + 0.7 * r(), classId: g.classId, label: gt.classNames.get(g.classId) ?? String(g.classId) });
    }
    for (let k = 0; k < o.falsePositives; k++) {
      const w = 15 + r() * 50, h = 15 + r() * 50;
      const x = r() * (o.width - w), y = r() * (o.height - h);
      dets.push({ box: [x, y, x + w, y + h], score: 0.3 + 0.4 * r(), classId: 1, label: 'fp' });
    }
    return dets;
  });
  return Object.assign(frames, { dropped });
}

/**
 * The best IDF1 of a tracker that labels detections (as ByteTrack: it outputs no box the detector did not give)
 * when `dropped` of the `gtBoxes` ground-truth boxes have no detection: those are misses whatever it does, so at
 * best IDTP = gtBoxes - dropped, IDFN = dropped, IDFP = 0.
 */
export function idf1Ceiling(gtBoxes: number, dropped: number): number {
  return (2 * (gtBoxes - dropped)) / (2 * gtBoxes - dropped);
}

/** Our tracker over the frames: the rows of detections on confirmed tracks, and the mean update time. */
export function runOurs(frames: Frames, options: Partial<ByteTrackOptions>): { rows: TrackRow[]; usPerFrame: number } {
  const t = new ByteTracker(options);
  const rows: TrackRow[] = [];
  let spent = 0;
  frames.forEach((dets, f) => {
    const start = performance.now();
    const r = t.update({ frameNumber: f, pts: f / 15, captureTime: 0 }, dets);
    spent += performance.now() - start;
    r.trackIds.forEach((id, i) => id !== undefined && rows.push([f, id, ...dets[i].box]));
  });
  return { rows, usPerFrame: (spent / Math.max(1, frames.length)) * 1000 };
}

function python(script: string, input: unknown): Record<string, unknown> {
  const r = spawnSync(PYTHON, ['-W', 'ignore', join(TOOLS, script)], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || '').trim().split('\n').pop();
    throw new TrackingReferenceError(`tools/tracking/${script} failed (${why}); install the references with scripts/setup/tracking-reference.sh`);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

/** supervision's ByteTrack with our parameters (frame_rate 30 so its buffer is trackBuffer frames, as ours). */
export function runSupervision(frames: Frames, o: ByteTrackOptions): { rows: TrackRow[]; usPerFrame: number; version: string } {
  const params = {
    track_activation_threshold: o.highThresh,
    lost_track_buffer: o.trackBuffer,
    minimum_matching_threshold: o.matchThresh,
    frame_rate: 30,
    minimum_consecutive_frames: 1,
  };
  const out = python('supervision_bytetrack.py', { params, frames: frames.map((ds) => ds.map((d) => [...d.box, d.score, d.classId])) });
  return { rows: out.rows as TrackRow[], usPerFrame: out.usPerFrame as number, version: out.supervision as string };
}

/** TrackEval's HOTA, MOTA and IDF1 of each run. */
export function scoreRuns(gt: GroundTruth, runs: Record<string, TrackRow[]>): { version: string; runs: Record<string, TrackScores> } {
  const out = python('score_tracks.py', { frames: gt.frames, gt: gt.rows, runs });
  return { version: out.trackeval as string, runs: out.runs as Record<string, TrackScores> };
}

/** The cost of one update: `objects` boxes moving on a grid, one detection each per frame (5% missing). */
export function trackerCost(objects = 100, frames = 300, options: Partial<ByteTrackOptions> = {}): { usPerFrame: number; p99Us: number } {
  const r = rng(5);
  const cols = Math.ceil(Math.sqrt(objects));
  const times: number[] = [];
  const t = new ByteTracker(options);
  for (let f = 0; f < frames; f++) {
    const dets: Detection[] = [];
    for (let o = 0; o < objects; o++) {
      if (f > 0 && r() < 0.05) continue;
      const x = (o % cols) * 60 + f * 0.8 + r() * 2;
      const y = Math.floor(o / cols) * 60 + f * 0.3 + r() * 2;
      dets.push({ box: [x, y, x + 40, y + 50], score: 0.3 + 0.7 * r(), classId: 1, label: 'x' });
    }
    const start = process.hrtime.bigint();
    t.update({ frameNumber: f, pts: f / 30, captureTime: 0 }, dets);
    if (f >= 20) times.push(Number(process.hrtime.bigint() - start) / 1000); // after warm-up (JIT)
  }
  times.sort((a, b) => a - b);
  return { usPerFrame: times.reduce((s, v) => s + v, 0) / times.length, p99Us: times[Math.floor(times.length * 0.99)] };
}
