// The paper's Table 1a/1b in small: same training budget, varying the focal loss.
//   node --import tsx scripts/ablation.ts [--config config/train/demo.json] [--iters 150] [--val 50]
//                                         [--runs table1b|gamma|all] [--out .cache/ablation]
// table1b: gamma 0 with alpha 0.75 (alpha-balanced cross entropy, the paper's best CE setting) vs
//          gamma 2 with alpha 0.25 (the paper's focal loss).
// gamma:   the gamma sweep 0, 0.5, 1, 2, 5 with the paper's alpha for each (0.75, 0.5, 0.25, 0.25, 0.25).
// Every run starts from the same init and sees the same batches (same seed); the model is evaluated on
// the first --val images of the held-out set. Prints a table of COCO AP / AP50 / AP75 and the final loss.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/select.ts';
import { registerWasmGradients } from '../src/backend/wasmGradients.ts';
import { loadCocoDataset } from '../src/eval/cocoDataset.ts';
import { evaluateDetections } from '../src/eval/cocoEval.ts';
import { detectDataset } from '../src/eval/detectDataset.ts';
import { saveModelDir } from '../src/model/modelDir.ts';
import { loadTrainConfig, Trainer, registerFastWasmConvBackprop } from '../src/train/trainer/index.ts';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'config/train/demo.json' },
    iters: { type: 'string', default: '150' },
    val: { type: 'string', default: '50' },
    runs: { type: 'string', default: 'table1b' },
    out: { type: 'string', default: '.cache/ablation' },
    'val-annotations': { type: 'string', default: '.cache/demo-data/val/annotations.json' },
    'val-images': { type: 'string', default: '.cache/demo-data/val/images' },
  },
});

const RUNS: Record<string, [number, number][]> = {
  table1b: [[0, 0.75], [2, 0.25]],
  gamma: [[0, 0.75], [0.5, 0.5], [1, 0.25], [2, 0.25], [5, 0.25]],
};
RUNS.all = [...RUNS.table1b, ...RUNS.gamma.filter(([g]) => g !== 0 && g !== 2)];
const runs = RUNS[values.runs!];
if (!runs) {
  console.error(`ablation: --runs ${values.runs} is not one of ${Object.keys(RUNS).join(', ')}`);
  process.exit(2);
}
const iters = Number(values.iters);
const nVal = Number(values.val);
if (!Number.isInteger(iters) || iters < 1 || !Number.isInteger(nVal) || nVal < 1) {
  console.error('ablation: --iters and --val must be positive integers');
  process.exit(2);
}

await selectBackend('wasm');
registerWasmGradients();
registerFastWasmConvBackprop();
const base = await loadTrainConfig(values.config!);
const gtAll = loadCocoDataset(values['val-annotations']!);
const keep = new Set(gtAll.images.slice(0, nVal).map((im) => im.id));
const gt = { ...gtAll, images: gtAll.images.filter((im) => keep.has(im.id)), annotations: gtAll.annotations.filter((a) => keep.has(a.image_id)) };

const rows: string[] = [];
for (const [gamma, alpha] of runs) {
  const name = `gamma${gamma}-alpha${alpha}`;
  const t0 = Date.now();
  const trainer = new Trainer({ ...base.options, iterations: iters, gamma, alpha, checkpointDir: null, logPath: join(values.out!, `${name}.jsonl`), logInterval: 10, warmupIters: Math.min(base.options.warmupIters ?? 100, Math.ceil(iters / 5)) });
  const r = await trainer.run();
  const dir = join(values.out!, name);
  await saveModelDir(dir, r.config, r.weights);
  const results = await detectDataset(gt, dir, values['val-images']!);
  const m = evaluateDetections(gt, results);
  const lastLoss = r.losses.slice(-10).reduce((a, b) => a + b, 0) / Math.min(10, r.losses.length);
  rows.push(`${String(gamma).padEnd(6)} ${String(alpha).padEnd(6)} ${(100 * m.AP).toFixed(1).padStart(5)} ${(100 * m.AP50).toFixed(1).padStart(5)} ${(100 * m.AP75).toFixed(1).padStart(5)} ${lastLoss.toFixed(3).padStart(8)} ${((Date.now() - t0) / 1000).toFixed(0).padStart(6)}s`);
  console.error(`${name}: AP ${(100 * m.AP).toFixed(1)}`);
}
console.log(`focal loss ablation: ${iters} iterations x ${base.options.batchSize} images from ${values.config}, AP on ${gt.images.length} val images`);
console.log('gamma  alpha     AP  AP50  AP75  loss(10)   time');
for (const r of rows) console.log(r);
