// retinastream eval --dataset ANNOTATIONS (--results FILE | --model DIR --images DIR) [--json] [--stream ID]
// Prints the 12 COCO numbers in pycocotools' order (or one JSON object with --json).
import { loadCocoDataset } from '../../eval/cocoDataset.ts';
import { accumulateEvaluation, formatMetrics, METRIC_KEYS, perCategoryAp, summarize, type CocoMetrics } from '../../eval/cocoEval.ts';
import { crossClassDuplicates } from '../../eval/crossClassDuplicates.ts';
import { detectDataset } from '../../eval/detectDataset.ts';
import { loadResults } from '../../eval/eventsToResults.ts';
import { intFlag, parse } from '../args.ts';
import { UsageError } from '../errors.ts';
import { resolveModel } from '../../zoo/resolve.ts';

export const usage = 'retinastream eval --dataset ANNOTATIONS.json (--results RESULTS.json|EVENTS.jsonl [--stream ID] | --model DIR --images DIR [--batch N]) [--json]';

/** Progress of `eval --model`: a line redrawn on a terminal; in a log, a line per tenth of the set. */
function progressPrinter(): (done: number, total: number) => void {
  let tenthsShown = 0;
  return (done, total) => {
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${done}/${total} images${done === total ? '\n' : ''}`);
      return;
    }
    const tenths = Math.floor((10 * done) / total);
    if (tenths > tenthsShown) {
      tenthsShown = tenths;
      process.stderr.write(`${done}/${total} images\n`);
    }
  };
}

export function metricsJson(m: CocoMetrics, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...Object.fromEntries(METRIC_KEYS.map((k) => [k, m[k]])), ...extra });
}

interface CategoryAp {
  id: number;
  name: string;
  AP: number;
}

function categoryApTable(gt: { categories: { id: number; name: string }[] }, catIds: number[], aps: number[]): CategoryAp[] {
  const names = new Map(gt.categories.map((c) => [c.id, c.name]));
  return catIds.map((id, k) => ({ id, name: names.get(id) ?? String(id), AP: aps[k] }));
}

/** detectron2's per-category table: AP (IoU .50:.95) of each category, in percent; '-' without ground truth. */
function formatCategoryAps(cats: CategoryAp[]): string {
  const cell = (c: CategoryAp) => `${c.name} ${Number.isNaN(c.AP) ? '-' : (100 * c.AP).toFixed(1)}`;
  return `AP per category (IoU=0.50:0.95): ${cats.map(cell).join(' | ')}`;
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
    : await detectDataset(gt, await resolveModel(values.model!), values.images!, { batch: intFlag('batch', values.batch, 1, 1, 64), backend: values.backend, onProgress: progressPrinter() });
  const t = performance.now();
  const acc = accumulateEvaluation(gt, results);
  const m = summarize(acc);
  const ms = performance.now() - t;
  const dup = crossClassDuplicates(results);
  const perCategory = categoryApTable(gt, acc.params.catIds, perCategoryAp(acc));
  process.stdout.write(
    (values.json
      ? metricsJson(m, { perCategory: perCategory.map((c) => ({ ...c, AP: Number.isNaN(c.AP) ? null : c.AP })), crossClassDuplicates: dup })
      : formatMetrics(m) + '\n' + formatCategoryAps(perCategory)) + '\n',
  );
  if (!values.json) {
    process.stderr.write(`${results.length} detections on ${gt.images.length} images evaluated in ${(ms / 1000).toFixed(2)} s\n`);
    process.stderr.write(`cross-class duplicates: ${dup.duplicates} of ${dup.considered} detections with score >= ${dup.minScore} overlap (IoU > ${dup.iou}) a higher-scoring box of another class\n`);
  }
  return 0;
}
