// The paper's Table 1a/1b in small: one training budget, varying only the classification loss.
//   node --import tsx scripts/ablation.ts [--config config/train/ablation-sparse.json] [--iters N] [--val 200]
//        [--runs table1b|gamma|table1a|all] [--out .cache/ablation-sparse] [--backend NAME]
//        [--val-annotations F] [--val-images D] [--report-only]
// table1b: gamma 0 with alpha 0.75 (alpha-balanced cross entropy, the paper's best CE setting) vs gamma 2
//          with alpha 0.25 (the paper's focal loss).
// gamma:   the gamma sweep 0, 0.5, 1, 2, 5 with the paper's alpha for each (0.75, 0.5, 0.25, 0.25, 0.25).
// table1a: alpha-balanced CE with the prior init (pi = 0.01 for the classifier bias) vs without it (pi = 0.5,
//          a zero bias: every anchor starts at p = 0.5), each also under the paper's optimizer (no gradient
//          clipping; Detectron's warmup, which starts at a third of the learning rate) instead of the config's
//          (clipGradNorm 10; warmup from 1/1000 of it): the config's safeguards are what the paper did not have.
//          A run whose loss becomes NaN or infinite is reported as diverged, at its iteration.
// Every run starts from the same init (the config's seed) and sees the same batches. Each run lives in
// <out>/<name>/: a checkpoint while it trains (rerunning the command resumes it), then its model, training
// log (log.jsonl), every step's loss (steps.txt) and result.json; finished runs are not run again, so the
// command is resumable as a whole. With --out under docs/ablation-runs/, git keeps everything but the
// checkpoint and the model (.gitignore), so a fresh clone skips the finished runs and reports them.
// --report-only prints the table of the finished runs and trains nothing.
// Prints per run COCO AP / AP50 / AP75 on the first --val held-out images, the paper's AP, the negatives
// per positive anchor per image (the imbalance), whether the loss plateaued (mean loss of the last tenth of
// the run vs the tenth before; the halves of the last learning-rate phase and the loss's trend over it) and
// the training time.
import { appendFileSync, existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeBackend, selectBackend } from '../src/backend/select.ts';
import { registerWasmGradients } from '../src/backend/wasmGradients.ts';
import { firstImages, loadCocoDataset } from '../src/eval/cocoDataset.ts';
import { evaluateDetections } from '../src/eval/cocoEval.ts';
import { detectDataset } from '../src/eval/detectDataset.ts';
import { saveModelDir } from '../src/model/modelDir.ts';
import { loadTrainConfig, resolveTrainerOptions, Trainer, TrainerError, registerFastWasmConvBackprop } from '../src/train/trainer/index.ts';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'config/train/ablation-sparse.json' },
    iters: { type: 'string' },
    val: { type: 'string', default: '200' },
    runs: { type: 'string', default: 'all' },
    out: { type: 'string', default: '.cache/ablation-sparse' },
    backend: { type: 'string' },
    'val-annotations': { type: 'string', default: '.cache/ablation-data/val/annotations.json' },
    'val-images': { type: 'string', default: '.cache/ablation-data/val/images' },
    'report-only': { type: 'boolean', default: false },
  },
});

interface Run {
  gamma: number;
  alpha: number;
  priorProb: number;
  /** The optimizer's safeguards when they differ from the config's: a gradient-norm clip (null: none), and the
   * warmup's starting fraction of the learning rate. */
  clipGradNorm?: number | null;
  warmupFactor?: number;
}
const run = (gamma: number, alpha: number, priorProb = 0.01, optim: Pick<Run, 'clipGradNorm' | 'warmupFactor'> = {}): Run =>
  ({ gamma, alpha, priorProb, ...optim });
/** Detectron's RetinaNet schedule, as the paper trained: no gradient clipping, warmup from a third of the lr. */
const PAPER_OPTIM = { clipGradNorm: null, warmupFactor: 1 / 3 };
const RUNS: Record<string, Run[]> = {
  table1b: [run(0, 0.75), run(2, 0.25)],
  gamma: [run(0, 0.75), run(0.5, 0.5), run(1, 0.25), run(2, 0.25), run(5, 0.25)],
  table1a: [run(0, 0.75), run(0, 0.75, 0.5), run(0, 0.75, 0.5, PAPER_OPTIM), run(0, 0.75, 0.01, PAPER_OPTIM)],
};
RUNS.all = [...RUNS.gamma, ...RUNS.table1a.slice(1)];
// Paper Table 1b (R-50, 600 px, COCO minival), AP by (gamma, alpha): ../shared/REFERENCE.md.
const PAPER_AP: Record<string, number> = { '0/0.75': 31.1, '0.5/0.5': 32.9, '1/0.25': 33.7, '2/0.25': 34.0, '5/0.25': 32.2 };

const runs = RUNS[values.runs!];
if (!runs) {
  console.error(`ablation: --runs ${values.runs} is not one of ${Object.keys(RUNS).join(', ')}`);
  process.exit(2);
}
const nVal = Number(values.val);
if (!Number.isInteger(nVal) || nVal < 1) {
  console.error(`ablation: --val ${values.val} is not a positive integer`);
  process.exit(2);
}
for (const key of ['val-annotations', 'val-images'] as const) {
  if (!existsSync(values[key]!)) {
    console.error(`ablation: --${key} ${values[key]}: not found (make the data first, see docs/training.md)`);
    process.exit(2);
  }
}

const choice = await selectBackend(values.backend);
registerWasmGradients();
if (choice.name === 'wasm') registerFastWasmConvBackprop();
const base = await loadTrainConfig(values.config!);
/** The config with the trainer's defaults filled in (batch size, milestones...). */
const resolved = resolveTrainerOptions(base.options);
const iters = values.iters === undefined ? base.options.iterations : Number(values.iters);
if (!Number.isInteger(iters) || iters < 1) {
  console.error(`ablation: --iters ${values.iters} is not a positive integer`);
  process.exit(2);
}
const gt = firstImages(loadCocoDataset(values['val-annotations']!), nVal);

interface LogRecord {
  iteration: number;
  loss: number;
  numFg: number;
  numBg: number;
}

interface RunResult {
  name: string;
  gamma: number;
  alpha: number;
  priorProb: number;
  iterations: number;
  /** null for a run that diverged. */
  AP: number | null;
  AP50: number | null;
  AP75: number | null;
  /** The iteration whose loss was NaN or infinite, for a run that diverged. */
  divergedAt?: number;
  clipGradNorm?: number | null;
  warmupFactor?: number;
  /** Mean over logged steps, per image: positive anchors, negative anchors, negatives per positive. */
  fgPerImage: number;
  bgPerImage: number;
  negPerPos: number;
  /** Mean logged loss over the last tenth of the run, and over the tenth before it. */
  lossLastTenth: number;
  lossTenthBefore: number;
  trainSec: number;
  trainCpuSec: number;
  backend: string;
}

interface TrainTime { wallSec: number; cpuSec: number }

/**
 * A run's per-iteration records, one per line, in iteration order. A resumed run appends to the same file from
 * its checkpoint on: the last record of each iteration is kept.
 */
async function readRecords<T extends { iteration: number }>(path: string, parse: (line: string) => T): Promise<T[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const byIter = new Map<number, T>();
  for (const line of text.split('\n')) if (line.trim()) { const r = parse(line); byIter.set(r.iteration, r); }
  return [...byIter.values()].sort((a, b) => a.iteration - b.iteration);
}

/** The trainer's log (log.jsonl: one step in logInterval). */
const readLog = (path: string): Promise<LogRecord[]> => readRecords(path, (line) => JSON.parse(line) as LogRecord);
/** Every step's loss (steps.txt: "iteration loss" lines). */
const readSteps = (path: string): Promise<{ iteration: number; loss: number }[]> =>
  readRecords(path, (line) => { const [iteration, loss] = line.split(' ').map(Number); return { iteration, loss }; });

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

const runName = (r: Run): string =>
  `gamma${r.gamma}-alpha${r.alpha}` +
  (r.priorProb === 0.01 ? '' : `-prior${r.priorProb}`) +
  (r.clipGradNorm === undefined ? '' : r.clipGradNorm === null ? '-noclip' : `-clip${r.clipGradNorm}`) +
  (r.warmupFactor === undefined ? '' : `-warmup${Number(r.warmupFactor.toFixed(2))}`);
/** The optimizer overrides of a run, as trainer options. */
const optimOverrides = (r: Run): Pick<Run, 'clipGradNorm' | 'warmupFactor'> => ({
  ...(r.clipGradNorm !== undefined && { clipGradNorm: r.clipGradNorm }),
  ...(r.warmupFactor !== undefined && { warmupFactor: r.warmupFactor }),
});
/** Where a run keeps its checkpoint, log, model and result.json. */
const runDir = (name: string): string => join(values.out!, name);

async function trainAndScore(r: Run): Promise<RunResult> {
  const name = runName(r);
  const dir = runDir(name);
  const resultPath = join(dir, 'result.json');
  if (existsSync(resultPath)) return JSON.parse(await readFile(resultPath, 'utf8')) as RunResult;
  await mkdir(dir, { recursive: true });
  const checkpointDir = join(dir, 'checkpoint');
  const timePath = join(dir, 'train-seconds.json');
  // Every step's loss (the log has one step in logInterval): the plateau test's sample.
  const stepsPath = join(dir, 'steps.txt');
  // Wall time and the process's CPU time (all threads): CPU time is not inflated by a pause (SIGSTOP while a
  // benchmark runs) or by other load, so it is the fairer figure to compare runs by.
  const before = existsSync(timePath) ? (JSON.parse(await readFile(timePath, 'utf8')) as TrainTime) : { wallSec: 0, cpuSec: 0 };
  const model = { ...base.options.model, head: { ...base.options.model.head, priorProb: r.priorProb } };
  const checkpointInterval = Math.max(50, Math.round(iters / 40));
  const trainer = new Trainer({
    ...base.options, ...optimOverrides(r), model, iterations: iters, gamma: r.gamma, alpha: r.alpha,
    checkpointDir, checkpointInterval, logPath: join(dir, 'log.jsonl'), logInterval: 10,
  });
  const resume = existsSync(join(checkpointDir, 'trainer-state.json'));
  console.error(`${name}: ${resume ? 'resuming' : 'training'} (${iters} iterations x ${base.options.batchSize} images)`);
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  const spent = (): TrainTime => {
    const cpu = process.cpuUsage(cpu0);
    return { wallSec: before.wallSec + (Date.now() - t0) / 1000, cpuSec: before.cpuSec + (cpu.user + cpu.system) / 1e6 };
  };
  // Save the time spent so far at every checkpoint, so an interrupted run still reports its whole time.
  let lastStep = 0;
  const trained = await trainer
    .run({
      resume,
      onStep: (it, r) => {
        lastStep = it;
        appendFileSync(stepsPath, `${it} ${r.loss}\n`);
        if (it % checkpointInterval === 0) void writeFile(timePath, JSON.stringify(spent()));
      },
    })
    .catch((e: unknown) => {
      // A diverged run is a result (Table 1a's point), not a failure of the ablation.
      if (e instanceof TrainerError && e.code === 'RS_ERR_TRAIN_DIVERGED') return undefined;
      throw e;
    });
  const { wallSec: trainSec, cpuSec: trainCpuSec } = spent();
  await writeFile(timePath, JSON.stringify({ wallSec: trainSec, cpuSec: trainCpuSec }));
  let m: { AP: number; AP50: number; AP75: number } | undefined;
  if (trained) {
    const modelDir = join(dir, 'model');
    await saveModelDir(modelDir, trained.config, trained.weights);
    m = evaluateDetections(gt, await detectDataset(gt, modelDir, values['val-images']!));
  }
  const log = await readLog(join(dir, 'log.jsonl'));
  const tenth = Math.max(1, Math.floor(log.length / 10));
  const batch = resolved.batchSize;
  const result: RunResult = {
    name, gamma: r.gamma, alpha: r.alpha, priorProb: r.priorProb, ...optimOverrides(r),
    iterations: trained ? trained.iterations : lastStep,
    AP: m?.AP ?? null, AP50: m?.AP50 ?? null, AP75: m?.AP75 ?? null,
    ...(!trained && { divergedAt: lastStep + 1 }),
    fgPerImage: mean(log.map((l) => l.numFg / batch)),
    bgPerImage: mean(log.map((l) => l.numBg / batch)),
    negPerPos: mean(log.filter((l) => l.numFg > 0).map((l) => l.numBg / l.numFg)),
    lossLastTenth: mean(log.slice(-tenth).map((l) => l.loss)),
    lossTenthBefore: mean(log.slice(-2 * tenth, -tenth).map((l) => l.loss)),
    trainSec, trainCpuSec, backend: describeBackend(choice),
  };
  await writeFile(resultPath, JSON.stringify(result, null, 2) + '\n');
  console.error(m ? `${name}: AP ${(100 * m.AP).toFixed(1)}` : `${name}: diverged at iteration ${lastStep + 1}`);
  return result;
}

const results: RunResult[] = [];
for (const r of runs) {
  if (values['report-only'] && !existsSync(join(runDir(runName(r)), 'result.json'))) continue;
  results.push(await trainAndScore(r));
}

/** Least-squares slope of y over x and its standard error. */
function slope(points: { x: number; y: number }[]): { slope: number; se: number } {
  const n = points.length;
  const mx = mean(points.map((p) => p.x));
  const my = mean(points.map((p) => p.y));
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  const b = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / sxx;
  const rss = points.reduce((a, p) => a + (p.y - my - b * (p.x - mx)) ** 2, 0);
  return { slope: b, se: Math.sqrt(rss / (n - 2) / sxx) };
}

/**
 * The plateau test at one learning rate, over the run's last learning-rate phase (after the last milestone; the
 * last tenth vs the tenth before straddles that drop, which lowers the loss even at convergence): the mean loss
 * of its first and second half, and the loss's least-squares trend per 1000 iterations with its standard error,
 * as a fraction of the phase's mean loss. From every step's loss when the run recorded them (steps.txt), else
 * from the logged steps (one in logInterval), which are noisier; `steps` says which.
 */
async function finalPhaseLoss(r: RunResult): Promise<{ halves: [number, number]; trend: number; trendSe: number; steps: number }> {
  const from = Math.round(Math.max(...resolved.milestones) * r.iterations);
  const steps = (await readSteps(join(runDir(r.name), 'steps.txt'))).filter((l) => l.iteration > from && l.iteration <= r.iterations);
  const phase = steps.length === r.iterations - from ? steps : (await readLog(join(runDir(r.name), 'log.jsonl'))).filter((l) => l.iteration > from);
  const half = Math.floor(phase.length / 2);
  const m = mean(phase.map((l) => l.loss));
  const t = slope(phase.map((l) => ({ x: l.iteration, y: l.loss })));
  return {
    halves: [mean(phase.slice(0, half).map((l) => l.loss)), mean(phase.slice(half).map((l) => l.loss))],
    trend: (1000 * t.slope) / m, trendSe: (1000 * t.se) / m, steps: phase.length,
  };
}

const pct = (x: number | null): string => (x === null ? '-' : (100 * x).toFixed(1)).padStart(5);
const num = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '-');
const percent = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');
const signedPct = (x: number): string => `${Number.isFinite(x) && x >= 0 ? '+' : ''}${percent(x)}`;
/** The optimizer's safeguards of a run: the config's, or the overrides. */
const optimLabel = (r: RunResult): string =>
  r.clipGradNorm === undefined && r.warmupFactor === undefined
    ? 'config'
    : `clip ${r.clipGradNorm === undefined ? resolved.clipGradNorm : r.clipGradNorm ?? 'none'}, warmup ${Number((r.warmupFactor ?? resolved.warmupFactor).toFixed(3))}`;
console.log(`focal loss ablation: ${iters} iterations x ${base.options.batchSize} images from ${values.config} on ${describeBackend(choice)}; AP on ${gt.images.length} held-out images`);
console.log(`optimizer "config": clipGradNorm ${resolved.clipGradNorm}, warmup ${resolved.warmupIters} iterations from ${resolved.warmupFactor} of the lr`);
console.log('gamma  alpha  prior  optimizer                 AP  AP50  AP75  paper AP  fg/img   bg/img  neg:pos  loss last/prev 10%  final lr 1st/2nd half  trend per 1000 it (steps)    wall   CPU');
for (const r of results) {
  const phase = await finalPhaseLoss(r);
  // The paper's Table 1a: alpha-balanced CE without the prior init diverges.
  const paper = r.priorProb === 0.01 ? PAPER_AP[`${r.gamma}/${r.alpha}`]?.toFixed(1) : 'diverges';
  const ap = r.divergedAt === undefined ? `${pct(r.AP)} ${pct(r.AP50)} ${pct(r.AP75)}` : `diverged at ${r.divergedAt}`.padStart(17);
  console.log(
    `${String(r.gamma).padEnd(6)} ${String(r.alpha).padEnd(6)} ${String(r.priorProb).padEnd(6)} ${optimLabel(r).padEnd(23)} ${ap}  ` +
      `${(paper ?? '-').padStart(8)}  ${r.fgPerImage.toFixed(1).padStart(6)} ${Math.round(r.bgPerImage).toString().padStart(8)} ` +
      `${Math.round(r.negPerPos).toString().padStart(7)}:1  ${num(r.lossLastTenth)} / ${num(r.lossTenthBefore)}       ` +
      `${num(phase.halves[0])} / ${num(phase.halves[1])}  ${signedPct(phase.trend)} +- ${percent(phase.trendSe)} (${phase.steps})`.padEnd(48) +
      `  ${(r.trainSec / 60).toFixed(0).padStart(6)} min ${(r.trainCpuSec / 60).toFixed(0).padStart(5)} min`,
  );
}
