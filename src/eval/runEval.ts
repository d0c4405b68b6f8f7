// The `retinastream eval` command's work: load a COCO annotation file and results (COCO results
// JSON or a JSONL event file), evaluate, and return the text to print.

import { loadCocoDataset } from './cocoDataset.ts';
import { loadResults } from './eventsToResults.ts';
import { evaluateDetections, formatMetrics } from './cocoEval.ts';

export interface RunEvalArgs {
  /** COCO annotation JSON (instances_*.json). */
  dataset: string;
  /** COCO results JSON array, or a JSONL file of retinastream events. */
  results: string;
  /** Print {"AP": .., ..., "ARl": ..} instead of pycocotools' 12 summary lines. */
  json: boolean;
  /** For event files holding several streams: the stream whose frames are the dataset's images. */
  streamId?: string;
}

export async function runEvalOnResults(args: RunEvalArgs): Promise<string> {
  const dataset = loadCocoDataset(args.dataset);
  const results = loadResults(args.results, args.streamId === undefined ? {} : { streamId: args.streamId });
  const metrics = evaluateDetections(dataset, results);
  return args.json ? JSON.stringify(metrics) : formatMetrics(metrics);
}
