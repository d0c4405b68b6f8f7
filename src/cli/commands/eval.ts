// retinastream eval --dataset ANNOTATIONS (--results FILE | --model DIR --images DIR) [--json] [--stream ID]
// Prints the 12 COCO numbers in pycocotools' order (or one JSON object with --json).
import { join } from 'node:path';
import { loadCocoDataset, type CocoDataset } from '../../eval/cocoDataset.ts';
import { evaluateDetections, formatMetrics, METRIC_KEYS, type CocoMetrics } from '../../eval/cocoEval.ts';
import type { CocoResult } from '../../eval/cocoResults.ts';
import { loadResults } from '../../eval/eventsToResults.ts';
import { readRgbImage } from '../../io/image.ts';
import { createDetector } from '../../model/detector.ts';
import { intFlag, parse } from '../args.ts';
import { UsageError } from '../errors.ts';

export const usage = 'retinastream eval --dataset ANNOTATIONS.json (--results RESULTS.json|EVENTS.jsonl [--stream ID] | --model DIR --images DIR [--batch N]) [--json]';

/** Model class index -> COCO category id: identity when the model numbers classes by id (torchvision,
 *  the demo model), else the sorted categories in order (detectron2's contiguous 80). */
export function categoryMapper(numClasses: number, gt: CocoDataset): (classId: number) => number {
  const ids = gt.categories.map((c) => c.id).sort((a, b) => a - b);
  if (numClasses === ids.length && ids[ids.length - 1] >= numClasses) return (k) => ids[k];
  return (k) => k;
}

async function detectDataset(gt: CocoDataset, modelDir: string, imagesDir: string, batch: number, backend?: string): Promise<CocoResult[]> {
  const detector = await createDetector({ model: modelDir, backend });
  const toCat = categoryMapper(detector.config.numClasses, gt);
  const results: CocoResult[] = [];
  for (let i = 0; i < gt.images.length; i += batch) {
    const metas = gt.images.slice(i, i + batch);
    const images = await Promise.all(metas.map((m) => readRgbImage(join(imagesDir, m.file_name ?? `${m.id}.jpg`))));
    const dets = await detector.detect(images);
    metas.forEach((m, j) => {
      for (const d of dets[j]) {
        const [x1, y1, x2, y2] = d.box;
        results.push({ image_id: m.id, category_id: toCat(d.classId), bbox: [x1, y1, x2 - x1, y2 - y1], score: d.score });
      }
    });
    const done = Math.min(i + batch, gt.images.length);
    // a progress line redrawn on a terminal; in a log, a line per tenth of the set
    if (process.stderr.isTTY) process.stderr.write(`\r${done}/${gt.images.length} images`);
    else if (Math.floor((10 * done) / gt.images.length) > Math.floor((10 * i) / gt.images.length)) process.stderr.write(`${done}/${gt.images.length} images\n`);
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  detector.dispose();
  return results;
}

export function metricsJson(m: CocoMetrics): string {
  return JSON.stringify(Object.fromEntries(METRIC_KEYS.map((k) => [k, m[k]])));
}

export async function evalCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('eval', argv, {
    dataset: { type: 'string' },
    results: { type: 'string' },
    stream: { type: 'string' },
    model: { type: 'string' },
    images: { type: 'string' },
    batch: { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length) throw new UsageError(`retinastream eval: unexpected argument "${positionals[0]}" (${usage})`);
  if (!values.dataset) throw new UsageError(`--dataset: COCO annotation file is required (${usage})`);
  if (!values.results === !values.model) throw new UsageError(`retinastream eval: give either --results or --model with --images (${usage})`);
  if (values.model && !values.images) throw new UsageError(`--images: image folder is required with --model (${usage})`);
  const gt = loadCocoDataset(values.dataset);
  const results = values.results
    ? loadResults(values.results, { streamId: values.stream })
    : await detectDataset(gt, values.model!, values.images!, intFlag('batch', values.batch, 1, 1, 64), values.backend);
  const t = performance.now();
  const m = evaluateDetections(gt, results);
  const ms = performance.now() - t;
  process.stdout.write((values.json ? metricsJson(m) : formatMetrics(m)) + '\n');
  if (!values.json) process.stderr.write(`${results.length} detections on ${gt.images.length} images evaluated in ${(ms / 1000).toFixed(2)} s\n`);
  return 0;
}
