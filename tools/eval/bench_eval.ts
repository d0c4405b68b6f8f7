// Times retinastream's COCO evaluation against pycocotools on the same files and checks they agree.
//
//   python3 tools/eval/make_fixtures.py --bench /tmp/rs-eval-bench        # 5000 images, 80 classes, 100 dets/image
//   node --import tsx tools/eval/bench_eval.ts /tmp/rs-eval-bench/bench.dataset.json /tmp/rs-eval-bench/bench.results.json
//
// Add --no-python to skip pycocotools. Times cover evaluation of already loaded data (pycocotools:
// loadRes + evaluate + accumulate + summarize; ours: evaluateDetections), file loading is listed apart.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadCocoDataset } from '../../src/eval/cocoDataset.ts';
import { loadResults } from '../../src/eval/eventsToResults.ts';
import { evaluateDetections, formatMetrics, METRIC_KEYS } from '../../src/eval/cocoEval.ts';

const args = process.argv.slice(2);
const files = args.filter((a) => !a.startsWith('--'));
if (files.length !== 2) {
  console.error('usage: bench_eval.ts DATASET.json RESULTS.json [--no-python]');
  process.exit(2);
}
const [datasetPath, resultsPath] = files;

let t0 = performance.now();
const dataset = loadCocoDataset(datasetPath);
const results = loadResults(resultsPath);
const loadMs = performance.now() - t0;
t0 = performance.now();
const cpu0 = process.cpuUsage();
const metrics = evaluateDetections(dataset, results);
const evalMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const evalCpuMs = (cpu.user + cpu.system) / 1000;
console.log(formatMetrics(metrics));
console.log(`retinastream: load ${(loadMs / 1000).toFixed(2)} s, evaluate ${(evalMs / 1000).toFixed(2)} s (cpu ${(evalCpuMs / 1000).toFixed(2)} s) ` +
  `(${dataset.images.length} images, ${dataset.annotations.length} gts, ${results.length} detections)`);

if (!args.includes('--no-python')) {
  const script = fileURLToPath(new URL('./coco_eval.py', import.meta.url));
  t0 = performance.now();
  const py = spawnSync('python3', [script, datasetPath, resultsPath], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const wallMs = performance.now() - t0;
  if (py.status !== 0) {
    console.error(`pycocotools failed (is it installed? scripts/setup/pycocotools.sh): ${py.stderr.trim().split('\n').pop()}`);
    process.exit(1);
  }
  const ref = JSON.parse(py.stdout) as { stats: number[]; seconds: number; cpu_seconds: number };
  const maxDiff = Math.max(...METRIC_KEYS.map((k, i) => Math.abs(metrics[k] - ref.stats[i])));
  console.log(`pycocotools: evaluate ${ref.seconds.toFixed(2)} s (cpu ${ref.cpu_seconds.toFixed(2)} s; process wall time with loading ${(wallMs / 1000).toFixed(2)} s)`);
  console.log(`speed-up ${(ref.seconds / (evalMs / 1000)).toFixed(1)}x wall, ${(ref.cpu_seconds / (evalCpuMs / 1000)).toFixed(1)}x cpu; max |difference| of the 12 numbers: ${maxDiff}`);
}
