// Evaluation parameters, as pycocotools' Params for iouType 'bbox' (setDetParams), from options.

import type { CocoDataset } from './cocoDataset.ts';
import { EvalError } from './errors.ts';
import { linspace } from './numpyCompat.ts';

export interface EvalOptions {
  /** Detections per image kept for the three AR numbers (pycocotools: [1, 10, 100]); matching uses the largest. */
  maxDets?: readonly number[];
  /** IoU thresholds (pycocotools: np.linspace(.5, .95, 10)). AP50/AP75 are -1 if .5/.75 are not among them. */
  iouThrs?: readonly number[];
  /** false: ignore categories (class-agnostic / proposal evaluation), as pycocotools' useCats = 0. */
  useCats?: boolean;
}

export interface EvalParams {
  iouThrs: number[];
  recThrs: number[];
  maxDets: number[];
  areaRng: [number, number][];
  areaRngLbl: string[];
  useCats: boolean;
  imgIds: number[];
  catIds: number[];
}

const AREA_RNG: [number, number][] = [
  [0 ** 2, 1e5 ** 2],
  [0 ** 2, 32 ** 2],
  [32 ** 2, 96 ** 2],
  [96 ** 2, 1e5 ** 2],
];
const AREA_LBL = ['all', 'small', 'medium', 'large'];

/** Checks options and builds pycocotools' Params for bbox evaluation. */
export function makeParams(gt: CocoDataset, opts: EvalOptions = {}): EvalParams {
  const maxDets = [...(opts.maxDets ?? [1, 10, 100])].sort((a, b) => a - b);
  if (maxDets.length !== 3 || !maxDets.every((m) => Number.isSafeInteger(m) && m > 0)) {
    throw new EvalError('RS_ERR_EVAL_OPTIONS', `maxDets: expected three positive integers (summary uses maxDets[0..2]), got ${JSON.stringify(opts.maxDets)}`);
  }
  const iouThrs = opts.iouThrs ? [...opts.iouThrs] : linspace(0.5, 0.95, 10);
  if (iouThrs.length === 0 || !iouThrs.every((t) => Number.isFinite(t) && t >= 0 && t <= 1)) {
    throw new EvalError('RS_ERR_EVAL_OPTIONS', `iouThrs: expected a non-empty list of numbers in [0, 1], got ${JSON.stringify(opts.iouThrs)}`);
  }
  const uniqueSorted = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);
  return {
    iouThrs,
    recThrs: linspace(0, 1, 101),
    maxDets,
    areaRng: AREA_RNG.map((r) => [r[0], r[1]]),
    areaRngLbl: [...AREA_LBL],
    useCats: opts.useCats ?? true,
    imgIds: uniqueSorted(gt.images.map((im) => im.id)),
    catIds: uniqueSorted(gt.categories.map((c) => c.id)),
  };
}
