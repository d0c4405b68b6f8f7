// pycocotools' COCOeval.summarize() for boxes: the 12 standard numbers, averaged exactly as numpy
// does (C-order selection of entries > -1, pairwise summation), and the 12 printed lines.

import type { EvalAccumulation } from './cocoAccumulate.ts';
import { linspace, npMean, pyFixed } from './numpyCompat.ts';

export interface CocoMetrics {
  AP: number;
  AP50: number;
  AP75: number;
  APs: number;
  APm: number;
  APl: number;
  AR1: number;
  AR10: number;
  AR100: number;
  ARs: number;
  ARm: number;
  ARl: number;
}

/** The order pycocotools' summarize() prints and stores (stats[0..11]). */
export const METRIC_KEYS: readonly (keyof CocoMetrics)[] = ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100', 'ARs', 'ARm', 'ARl'];

/** The 12 numbers of pycocotools' summarize() (_summarizeDets), -1 where nothing was evaluated. */
export function summarize(acc: EvalAccumulation): CocoMetrics {
  const p = acc.params;
  const md = p.maxDets;
  const s = (ap: boolean, iouThr: number | null, area: string, maxDets: number) => summarizeOne(acc, ap, iouThr, area, maxDets);
  return {
    AP: s(true, null, 'all', 100),
    AP50: s(true, 0.5, 'all', md[2]),
    AP75: s(true, 0.75, 'all', md[2]),
    APs: s(true, null, 'small', md[2]),
    APm: s(true, null, 'medium', md[2]),
    APl: s(true, null, 'large', md[2]),
    AR1: s(false, null, 'all', md[0]),
    AR10: s(false, null, 'all', md[1]),
    AR100: s(false, null, 'all', md[2]),
    ARs: s(false, null, 'small', md[2]),
    ARm: s(false, null, 'medium', md[2]),
    ARl: s(false, null, 'large', md[2]),
  };
}

function summarizeOne(acc: EvalAccumulation, ap: boolean, iouThr: number | null, area: string, maxDets: number): number {
  const p = acc.params;
  const T = p.iouThrs.length, R = p.recThrs.length, A = p.areaRng.length, M = p.maxDets.length;
  const K = acc.recall.length / (T * A * M);
  const ts = p.iouThrs.map((_, t) => t).filter((t) => iouThr === null || p.iouThrs[t] === iouThr);
  const as = p.areaRngLbl.map((_, a) => a).filter((a) => p.areaRngLbl[a] === area);
  const ms = p.maxDets.map((_, m) => m).filter((m) => p.maxDets[m] === maxDets);
  const vals: number[] = [];
  // numpy's s[s > -1] walks the selected array in C order: t, (r,) k, then the (area, maxDets) pair.
  for (const t of ts) {
    if (ap) {
      for (let r = 0; r < R; r++) for (let k = 0; k < K; k++) pick(as, ms, (a, m) => acc.precision[(((t * R + r) * K + k) * A + a) * M + m], vals);
    } else {
      for (let k = 0; k < K; k++) pick(as, ms, (a, m) => acc.recall[((t * K + k) * A + a) * M + m], vals);
    }
  }
  return vals.length === 0 ? -1 : npMean(vals);
}

// s[..., aind, mind] with two index lists pairs them elementwise (numpy advanced indexing).
function pick(as: number[], ms: number[], at: (a: number, m: number) => number, vals: number[]): void {
  const n = Math.max(as.length, ms.length);
  if (as.length === 0 || ms.length === 0 || (as.length !== ms.length && as.length !== 1 && ms.length !== 1)) return;
  for (let j = 0; j < n; j++) {
    const v = at(as[as.length === 1 ? 0 : j], ms[ms.length === 1 ? 0 : j]);
    if (v > -1) vals.push(v);
  }
}

/** The 12 summary lines exactly as pycocotools' summarize() prints them. */
export function formatMetrics(m: CocoMetrics, params: { iouThrs?: readonly number[]; maxDets?: readonly number[] } = {}): string {
  const iouThrs = params.iouThrs ?? linspace(0.5, 0.95, 10);
  const md = params.maxDets ? [...params.maxDets].sort((a, b) => a - b) : [1, 10, 100];
  const line = (ap: boolean, iouThr: number | null, area: string, maxDets: number, v: number) => {
    const title = (ap ? 'Average Precision' : 'Average Recall').padEnd(18);
    const type = ap ? '(AP)' : '(AR)';
    const iou = (iouThr === null ? `${pyFixed(iouThrs[0], 2)}:${pyFixed(iouThrs[iouThrs.length - 1], 2)}` : pyFixed(iouThr, 2)).padEnd(9);
    return ` ${title} ${type} @[ IoU=${iou} | area=${area.padStart(6)} | maxDets=${String(maxDets).padStart(3)} ] = ${pyFixed(v, 3)}`;
  };
  return [
    line(true, null, 'all', 100, m.AP),
    line(true, 0.5, 'all', md[2], m.AP50),
    line(true, 0.75, 'all', md[2], m.AP75),
    line(true, null, 'small', md[2], m.APs),
    line(true, null, 'medium', md[2], m.APm),
    line(true, null, 'large', md[2], m.APl),
    line(false, null, 'all', md[0], m.AR1),
    line(false, null, 'all', md[1], m.AR10),
    line(false, null, 'all', md[2], m.AR100),
    line(false, null, 'small', md[2], m.ARs),
    line(false, null, 'medium', md[2], m.ARm),
    line(false, null, 'large', md[2], m.ARl),
  ].join('\n');
}

/**
 * AP of each category, as detectron2's COCOEvaluator derives it from pycocotools' precision array: the mean of
 * precision[:, :, k, area 'all', largest maxDets] (IoU .50:.95, every recall threshold) over its entries > -1, in
 * the order of params.catIds; NaN for a category without ground truth. Only meaningful with useCats.
 */
export function perCategoryAp(acc: EvalAccumulation): number[] {
  const p = acc.params;
  const T = p.iouThrs.length, R = p.recThrs.length, A = p.areaRng.length, M = p.maxDets.length;
  const K = acc.recall.length / (T * A * M);
  const a = p.areaRngLbl.indexOf('all');
  const m = M - 1;
  const out: number[] = [];
  for (let k = 0; k < K; k++) {
    const vals: number[] = [];
    for (let t = 0; t < T; t++) {
      for (let r = 0; r < R; r++) {
        const v = acc.precision[(((t * R + r) * K + k) * A + a) * M + m];
        if (v > -1) vals.push(v);
      }
    }
    out.push(vals.length ? npMean(vals) : NaN);
  }
  return out;
}
