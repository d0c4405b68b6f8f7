// COCO bounding-box evaluation equal to pycocotools' COCOeval (iouType 'bbox'), bit for bit:
// evaluate() matches detections to ground truth per image and category (cocoMatch.ts),
// accumulate() builds precision / recall per IoU threshold, category, area range and maxDets
// (cocoAccumulate.ts), summarize() averages them into the 12 standard numbers (cocoSummarize.ts).

import type { CocoDataset } from './cocoDataset.ts';
import type { CocoResult } from './cocoResults.ts';
import type { EvalOptions } from './cocoParams.ts';
import { accumulateEvaluation } from './cocoAccumulate.ts';
import { summarize, type CocoMetrics } from './cocoSummarize.ts';

export type { EvalOptions, EvalParams } from './cocoParams.ts';
export { makeParams } from './cocoParams.ts';
export { accumulateEvaluation, type EvalAccumulation } from './cocoAccumulate.ts';
export { summarize, formatMetrics, perCategoryAp, METRIC_KEYS, type CocoMetrics } from './cocoSummarize.ts';

/** Evaluates COCO results against a dataset and returns the 12 summary numbers. */
export function evaluateDetections(gt: CocoDataset, results: readonly CocoResult[], opts: EvalOptions = {}): CocoMetrics {
  return summarize(accumulateEvaluation(gt, results, opts));
}
