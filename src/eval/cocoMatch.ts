// pycocotools' COCOeval.evaluate() for boxes: per category and image, detections sorted by score
// (stable) and cut at maxDets[-1], IoU against the ground truth, and greedy matching at every IoU
// threshold and area range. Quirks are kept on purpose (matching at the largest maxDets before any
// truncation, a gt with id 0 counting as "no match", IoU ties going to the later gt).
//
// Organised for speed rather than as pycocotools' per-image dicts: boxes live in flat typed arrays
// bucketed per (category, image) once, and the outcome of every detection is a byte per
// (area range, IoU threshold).

import type { CocoDataset } from './cocoDataset.ts';
import type { CocoResult } from './cocoResults.ts';
import type { EvalParams } from './cocoParams.ts';
import { boxIou } from './boxIou.ts';
import { EvalError } from './errors.ts';

/** Ground truths and detections in flat arrays, bucketed per (category, image) in file order. */
export interface IndexedBoxes {
  I: number;
  gBox: Float64Array;
  gArea: Float64Array;
  gCrowd: Uint8Array;
  gId: Float64Array;
  dBox: Float64Array;
  dArea: Float64Array;
  dScore: Float64Array;
  gBuckets: Buckets;
  /** Detection buckets with each bucket sorted by score, highest first (stable), as pycocotools sorts. */
  dBuckets: Buckets;
}

export function indexBoxes(gt: CocoDataset, results: readonly CocoResult[], p: EvalParams): IndexedBoxes {
  const I = p.imgIds.length;
  const imgIndex = new Map(p.imgIds.map((id, i) => [id, i]));
  const catIndex = new Map(p.catIds.map((id, k) => [id, k]));
  const gts = gt.annotations;
  const NG = gts.length;
  const gBox = new Float64Array(4 * NG), gArea = new Float64Array(NG), gCrowd = new Uint8Array(NG), gId = new Float64Array(NG);
  const gKey = new Int32Array(NG);
  gts.forEach((a, j) => {
    gBox.set(a.bbox, 4 * j);
    gArea[j] = a.area;
    gCrowd[j] = a.iscrowd;
    gId[j] = a.id;
    gKey[j] = (catIndex.get(a.category_id) as number) * I + (imgIndex.get(a.image_id) as number);
  });
  // Detections as pycocotools' loadRes makes them (id = index + 1, area = w * h, iscrowd = 0);
  // results of categories outside the dataset are dropped, as getAnnIds(catIds=...) drops them.
  const ND = results.length;
  const dBox = new Float64Array(4 * ND), dArea = new Float64Array(ND), dScore = new Float64Array(ND);
  const dKey = new Int32Array(ND).fill(-1);
  results.forEach((r, j) => {
    const i = imgIndex.get(r.image_id);
    if (i === undefined) {
      throw new EvalError('RS_ERR_EVAL_MISMATCH', `results[${j}]: image_id ${r.image_id} is not an image of ${gt.source} (results do not correspond to this dataset)`);
    }
    const k = catIndex.get(r.category_id);
    if (k === undefined) return;
    dBox.set(r.bbox, 4 * j);
    dArea[j] = r.bbox[2] * r.bbox[3];
    dScore[j] = r.score;
    dKey[j] = k * I + i;
  });
  const nKeys = p.catIds.length * I;
  const dBuckets = bucket(dKey, nKeys);
  for (let key = 0; key < nKeys; key++) sortByScore(dBuckets.members.subarray(dBuckets.start[key], dBuckets.start[key + 1]), dScore);
  return { I, gBox, gArea, gCrowd, gId, dBox, dArea, dScore, gBuckets: bucket(gKey, nKeys), dBuckets };
}

/** Stable in-place sort of detection indices by score, highest first (numpy argsort(-s, kind='mergesort')). */
function sortByScore(idx: Int32Array, score: Float64Array): void {
  const n = idx.length;
  if (n < 2) return;
  if (n > 16) {
    idx.set(Array.from(idx).sort((a, b) => score[b] - score[a])); // Array sort is stable
    return;
  }
  for (let j = 1; j < n; j++) {
    // insertion sort: moves an element only past strictly lower scores, so ties keep their order
    const v = idx[j];
    let q = j - 1;
    while (q >= 0 && score[idx[q]] < score[v]) {
      idx[q + 1] = idx[q];
      q--;
    }
    idx[q + 1] = v;
  }
}

/**
 * One category's evaluated detections (all categories when useCats is off): every kept detection in
 * image order then score order, with its score, its rank within its image, and per area range and
 * IoU threshold its outcome (0 false positive, 1 true positive, 2 ignored); npig counts the
 * non-ignored ground truths per area range.
 */
export interface CategoryEval {
  total: number;
  score: Float64Array;
  rank: Int32Array;
  outcome: Uint8Array[];
  npig: Float64Array;
}

/** Per image of one category: where its gts and (top maxDets[-1]) detections sit in gIdx / dIdx. */
interface CategorySpans {
  gIdx: Int32Array;
  gStart: Int32Array;
  gLen: Int32Array;
  dIdx: Int32Array;
  dStart: Int32Array;
  dLen: Int32Array;
}

function categorySpans(p: EvalParams, b: IndexedBoxes, cats: number[]): CategorySpans {
  const { I } = b;
  const maxDetTop = p.maxDets[p.maxDets.length - 1];
  const sp: CategorySpans = {
    gIdx: b.gBuckets.members, gStart: new Int32Array(I), gLen: new Int32Array(I),
    dIdx: b.dBuckets.members, dStart: new Int32Array(I), dLen: new Int32Array(I),
  };
  if (cats.length === 1) {
    // bucket keys are k * I + i, so one category's images are consecutive buckets
    const base = cats[0] * I;
    for (let i = 0; i < I; i++) {
      sp.gStart[i] = b.gBuckets.start[base + i];
      sp.gLen[i] = b.gBuckets.start[base + i + 1] - sp.gStart[i];
      sp.dStart[i] = b.dBuckets.start[base + i];
      sp.dLen[i] = Math.min(b.dBuckets.start[base + i + 1] - sp.dStart[i], maxDetTop);
    }
    return sp;
  }
  // useCats off: per image, every category's boxes in category order, detections sorted again.
  sp.gIdx = new Int32Array(b.gBuckets.members.length);
  sp.dIdx = new Int32Array(b.dBuckets.members.length);
  let go = 0, dl = 0;
  for (let i = 0; i < I; i++) {
    sp.gStart[i] = go;
    sp.dStart[i] = dl;
    for (const c of cats) {
      const key = c * I + i;
      for (let q = b.gBuckets.start[key]; q < b.gBuckets.start[key + 1]; q++) sp.gIdx[go++] = b.gBuckets.members[q];
      for (let q = b.dBuckets.start[key]; q < b.dBuckets.start[key + 1]; q++) sp.dIdx[dl++] = b.dBuckets.members[q];
    }
    sp.gLen[i] = go - sp.gStart[i];
    sortByScore(sp.dIdx.subarray(sp.dStart[i], dl), b.dScore);
    sp.dLen[i] = Math.min(dl - sp.dStart[i], maxDetTop);
  }
  return sp;
}

/** Matches every image of the category; null when no image has gts or detections (pycocotools' empty E). */
export function evaluateCategory(p: EvalParams, b: IndexedBoxes, cats: number[], s: Scratch): CategoryEval | null {
  const { I } = b;
  const T = p.iouThrs.length, A = p.areaRng.length;
  const sp = categorySpans(p, b, cats);
  let total = 0;
  let present = false;
  for (let i = 0; i < I; i++) {
    total += sp.dLen[i];
    if (sp.gLen[i] || sp.dLen[i]) present = true;
  }
  if (!present) return null;
  const cat: CategoryEval = {
    total,
    score: new Float64Array(total),
    rank: new Int32Array(total),
    outcome: Array.from({ length: A }, () => new Uint8Array(T * total)),
    npig: new Float64Array(A),
  };
  let off = 0;
  for (let i = 0; i < I; i++) {
    const D = sp.dLen[i], ds = sp.dStart[i];
    for (let j = 0; j < D; j++) {
      cat.score[off + j] = b.dScore[sp.dIdx[ds + j]];
      cat.rank[off + j] = j;
    }
    if (sp.gLen[i] || D) evaluateImage(p, b, sp, i, cat, off, s);
    off += D;
  }
  return cat;
}

/** pycocotools' evaluateImg for every area range: greedy matching per IoU threshold, highest score first. */
function evaluateImage(p: EvalParams, b: IndexedBoxes, sp: CategorySpans, i: number, cat: CategoryEval, off: number, s: Scratch): void {
  const T = p.iouThrs.length, A = p.areaRng.length;
  const G = sp.gLen[i], D = sp.dLen[i], total = cat.total;
  const gIdx = sp.gIdx, gs = sp.gStart[i], dIdx = sp.dIdx, ds = sp.dStart[i];
  s.ensure(G, D);
  for (let j = 0; j < D; j++) for (let c = 0; c < 4; c++) s.dtBox[4 * j + c] = b.dBox[4 * dIdx[ds + j] + c];
  for (let j = 0; j < G; j++) {
    const gj = gIdx[gs + j];
    for (let c = 0; c < 4; c++) s.gtBox[4 * j + c] = b.gBox[4 * gj + c];
    s.crowd[j] = b.gCrowd[gj];
    s.gArea[j] = b.gArea[gj];
    s.gId[j] = b.gId[gj];
  }
  for (let j = 0; j < D; j++) s.dArea[j] = b.dArea[dIdx[ds + j]];
  const haveIou = G > 0 && D > 0; // maskUtils.iou returns [] otherwise and nothing is matched
  if (haveIou) boxIou(s.dtBox, D, s.gtBox, G, s.crowd, s.iou);
  for (let a = 0; a < A; a++) {
    const lo = p.areaRng[a][0], hi = p.areaRng[a][1];
    // gt ignore flags from crowd and area; gts sorted with the ignored ones last (stable).
    let n = 0;
    for (let j = 0; j < G; j++) {
      s.ig[j] = s.crowd[j] !== 0 || s.gArea[j] < lo || s.gArea[j] > hi ? 1 : 0;
      if (!s.ig[j]) s.gtOrder[n++] = j;
    }
    cat.npig[a] += n;
    for (let j = 0; j < G; j++) if (s.ig[j]) s.gtOrder[n++] = j;
    for (let q = 0; q < G; q++) s.gtIg[q] = s.ig[s.gtOrder[q]];
    const out = cat.outcome[a];
    s.gtMatched.fill(0, 0, T * G);
    for (let t = 0; t < T; t++) {
      const thr = Math.min(p.iouThrs[t], 1 - 1e-10);
      for (let j = 0; j < D; j++) {
        let matched = false; // pycocotools' dtm != 0
        let ignored = false; // pycocotools' dtIg
        if (haveIou) {
          let iou = thr;
          let m = -1;
          for (let q = 0; q < G; q++) {
            const gq = s.gtOrder[q];
            // a gt already matched is skipped unless it is a crowd region
            if (s.gtMatched[t * G + q] && !s.crowd[gq]) continue;
            // matched a regular gt and only ignored ones are left: stop
            if (m > -1 && s.gtIg[m] === 0 && s.gtIg[q] === 1) break;
            const v = s.iou[j * G + gq];
            if (v < iou) continue; // ties go to the later gt
            iou = v;
            m = q;
          }
          if (m > -1) {
            ignored = s.gtIg[m] === 1;
            matched = s.gId[s.gtOrder[m]] !== 0; // pycocotools stores the gt id; id 0 reads as no match
            s.gtMatched[t * G + m] = 1;
          }
        }
        // Unmatched detections outside the area range are ignored.
        if (!matched && (s.dArea[j] < lo || s.dArea[j] > hi)) ignored = true;
        out[t * total + off + j] = ignored ? 2 : matched ? 1 : 0;
      }
    }
  }
}

/** Per-image buffers reused across images, grown when an image has more boxes than seen so far. */
export class Scratch {
  G = 0;
  D = 0;
  dtBox = new Float64Array(0);
  gtBox = new Float64Array(0);
  crowd = new Uint8Array(0);
  iou = new Float64Array(0);
  ig = new Uint8Array(0);
  gArea = new Float64Array(0);
  gId = new Float64Array(0);
  dArea = new Float64Array(0);
  gtOrder = new Int32Array(0);
  gtIg = new Uint8Array(0);
  gtMatched = new Uint8Array(0);
  constructor(readonly T: number) {}

  ensure(G: number, D: number): void {
    if (G <= this.G && D <= this.D) return;
    this.G = Math.max(G, 2 * this.G, 16);
    this.D = Math.max(D, 2 * this.D, 16);
    this.dtBox = new Float64Array(4 * this.D);
    this.gtBox = new Float64Array(4 * this.G);
    this.crowd = new Uint8Array(this.G);
    this.iou = new Float64Array(this.D * this.G);
    this.ig = new Uint8Array(this.G);
    this.gArea = new Float64Array(this.G);
    this.gId = new Float64Array(this.G);
    this.dArea = new Float64Array(this.D);
    this.gtOrder = new Int32Array(this.G);
    this.gtIg = new Uint8Array(this.G);
    this.gtMatched = new Uint8Array(this.T * this.G);
  }
}

/** CSR buckets: items with key k are members[start[k] .. start[k + 1]) in input order; key -1 is dropped. */
interface Buckets {
  start: Int32Array;
  members: Int32Array;
}

function bucket(keys: Int32Array, nKeys: number): Buckets {
  const start = new Int32Array(nKeys + 1);
  for (const k of keys) if (k >= 0) start[k + 1]++;
  for (let k = 0; k < nKeys; k++) start[k + 1] += start[k];
  const fill = start.slice(0, nKeys);
  const members = new Int32Array(start[nKeys]);
  keys.forEach((k, j) => {
    if (k >= 0) members[fill[k]++] = j;
  });
  return { start, members };
}
