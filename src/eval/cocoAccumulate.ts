// pycocotools' COCOeval.accumulate(): per category, area range and maxDets, all detections sorted by
// score (stable), cumulative true / false positives, the 101-point interpolated precision with its
// monotone envelope and np.searchsorted(rc, recThrs, side='left'), and the final recall.

import type { CocoDataset } from './cocoDataset.ts';
import type { CocoResult } from './cocoResults.ts';
import { makeParams, type EvalOptions, type EvalParams } from './cocoParams.ts';
import { evaluateCategory, indexBoxes, Scratch, type CategoryEval } from './cocoMatch.ts';

/** pycocotools' eval dict: precision [T x R x K x A x M] and recall [T x K x A x M], C order, -1 = no gt. */
export interface EvalAccumulation {
  params: EvalParams;
  precision: Float64Array;
  recall: Float64Array;
}

const EPS = 2.220446049250313e-16; // np.spacing(1)

/** Per-image matching and accumulation (pycocotools' evaluate() + accumulate()). */
export function accumulateEvaluation(gt: CocoDataset, results: readonly CocoResult[], opts: EvalOptions = {}): EvalAccumulation {
  const p = makeParams(gt, opts);
  const T = p.iouThrs.length, R = p.recThrs.length, A = p.areaRng.length, M = p.maxDets.length;
  const K = p.useCats ? p.catIds.length : 1;
  const boxes = indexBoxes(gt, results, p);
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const scratch = new Scratch(T);
  for (let k = 0; k < K; k++) {
    const cats = p.useCats ? [k] : p.catIds.map((_, c) => c);
    const cat = evaluateCategory(p, boxes, cats, scratch);
    if (cat) accumulateCategory(p, cat, k, K, precision, recall);
  }
  return { params: p, precision, recall };
}

/** pycocotools' accumulate() for one category: precision at the recall thresholds, and recall. */
function accumulateCategory(p: EvalParams, cat: CategoryEval, k: number, K: number, precision: Float64Array, recall: Float64Array): void {
  const T = p.iouThrs.length, R = p.recThrs.length, A = p.areaRng.length, M = p.maxDets.length;
  const { total } = cat;
  // All detections sorted by score, stable over (image, rank) order; the per-maxDets subsets are
  // filtered from it, which orders them as sorting each subset would.
  const order = Array.from({ length: total }, (_, j) => j).sort((x, y) => cat.score[y] - cat.score[x]);
  const rc = new Float64Array(total), pr = new Float64Array(total);
  for (let m = 0; m < M; m++) {
    const maxDet = p.maxDets[m];
    const sel = Int32Array.from(order.filter((j) => cat.rank[j] < maxDet));
    const nd = sel.length;
    for (let a = 0; a < A; a++) {
      const npig = cat.npig[a];
      if (npig === 0) continue;
      const out = cat.outcome[a];
      for (let t = 0; t < T; t++) {
        // Cumulative tp / fp over the score-sorted detections. pycocotools keeps the ignored ones
        // in these arrays, where they repeat the previous (rc, pr) (or (0, 0) before the first
        // counted one); leaving them out gives the same recall, envelope and searchsorted picks.
        const base = t * total;
        let tp = 0, fp = 0, n = 0;
        for (let q = 0; q < nd; q++) {
          const o = out[base + sel[q]];
          if (o === 2) continue;
          if (o === 1) tp++;
          else fp++;
          rc[n] = tp / npig;
          pr[n] = tp / (fp + tp + EPS);
          n++;
        }
        recall[((t * K + k) * A + a) * M + m] = n ? rc[n - 1] : 0;
        // make precision monotone: the best precision at this recall or any higher one
        for (let q = n - 1; q > 0; q--) if (pr[q] > pr[q - 1]) pr[q - 1] = pr[q];
        // precision at each recall threshold: pr[searchsorted(rc, thr, 'left')], 0 past the end
        let idx = 0;
        for (let r = 0; r < R; r++) {
          const thr = p.recThrs[r];
          while (idx < n && rc[idx] < thr) idx++;
          precision[(((t * R + r) * K + k) * A + a) * M + m] = idx < n ? pr[idx] : 0;
        }
      }
    }
  }
}
