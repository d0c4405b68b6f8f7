// The training loop: loader batch -> trainStep (normalize, forward, targets, loss, gradients, SGD) ->
// log -> checkpoint every `checkpointInterval` iterations and at the end. Deterministic given the seed:
// the init, the batch order and flips, and the backend's kernels are; `resume` continues from the last
// checkpoint bit for bit (parameters, momentum buffers, normalizer, iteration; batches by iteration).
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../../model/config.ts';
import { initWeights } from '../../model/init.ts';
import { loadModelDir } from '../../model/modelDir.ts';
import { buildParams, exportParams } from '../../model/params.ts';
import type { TensorMap } from '../../model/weights/safetensors.ts';
import { loadCocoDataset, type CocoDataset } from '../data/coco.ts';
import { CocoLoader } from '../data/loader.ts';
import { EmaNormalizer } from '../losses/normalizer.ts';
import { makeLrSchedule } from '../optim/lrSchedule.ts';
import { SgdMomentum } from '../optim/sgd.ts';
import { Matcher } from '../targets/matcher.ts';
import { BatchStream } from './batchStream.ts';
import { checkFingerprint, hasCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import { resolveTrainerOptions, type ResolvedTrainerOptions, type TrainerOptions } from './options.ts';
import { TrainableModel } from './trainableModel.ts';
import { TrainerError } from './trainerError.ts';
import { AnchorCache, trainStep, type StepResult } from './trainStep.ts';
import { TrainLog } from './trainLog.ts';

export interface RunOptions {
  /** Continue from the checkpoint in checkpointDir (an error if there is none). */
  resume?: boolean;
  /** Stop after this iteration (exclusive) instead of options.iterations; the schedule still spans the
   *  full run. Used to interrupt a run on purpose (tests, time-boxed jobs). */
  stopAt?: number;
  /** Called after every step. */
  onStep?: (iteration: number, r: StepResult) => void;
  /** Where the progress lines go (default stderr; null: silent). */
  progress?: ((line: string) => void) | null;
}

export interface TrainResult {
  /** Iterations completed in total (including those before a resume). */
  iterations: number;
  /** Loss of every step run in this call. */
  losses: number[];
  /** Final parameters in canonical naming (for saveModelDir). */
  weights: Map<string, { shape: number[]; data: Float32Array }>;
  config: ModelConfig;
  imagesPerSec: number;
}

/** The model config without its post-processing, which inference alone uses: a checkpoint resumes under another
 *  score threshold or NMS setting (checkpoints written before this rule hold the post-processing of their day). */
function trainedPart(m: ModelConfig): Omit<ModelConfig, 'postprocess'> {
  const { postprocess: _, ...rest } = m;
  return rest;
}

/** Sets gamma of the last batch norm of every residual branch to 0 (bn2 of basic blocks, bn3 of bottlenecks). */
export function zeroResidualBranches(weights: TensorMap): void {
  const last = [...weights.keys()].some((k) => /\.bn3\.weight$/.test(k)) ? 'bn3' : 'bn2';
  const re = new RegExp(`^backbone\\.body\\.layer\\d\\.\\d+\\.${last}\\.weight$`);
  for (const [name, t] of weights) if (re.test(name)) t.data.fill(0);
}

/** Dataset with labels renumbered to model class indices. */
export function toModelClasses(ds: CocoDataset, numbering: 'categoryId' | 'contiguous', numClasses: number, where: string): CocoDataset {
  const map = numbering === 'categoryId' ? ds.categoryIds : ds.categoryIds.map((_, i) => i);
  const top = Math.max(...map);
  if (top >= numClasses) {
    const what = numbering === 'categoryId' ? `category id ${top}` : `${ds.categoryIds.length} categories`;
    throw new TrainerError('RS_ERR_TRAIN_DATA', `${where}: ${what} does not fit a model with numClasses ${numClasses} (classNumbering "${numbering}")`);
  }
  return { ...ds, images: ds.images.map((im) => ({ ...im, labels: im.labels.map((l) => map[l]) })) };
}

export class Trainer {
  readonly options: ResolvedTrainerOptions;

  constructor(options: TrainerOptions) {
    this.options = resolveTrainerOptions(options);
  }

  /** What a resumed run must share with the run that wrote the checkpoint. */
  fingerprint(): Record<string, unknown> {
    const o = this.options;
    return {
      model: trainedPart(o.model), annotations: o.annotations, classNumbering: o.classNumbering, initFrom: o.initFrom, zeroInitResidual: o.zeroInitResidual, batchSize: o.batchSize,
      seed: o.seed, flipProb: o.flipProb, alpha: o.alpha, gamma: o.gamma, boxLoss: o.boxLoss, smoothL1Beta: o.smoothL1Beta,
      normalizer: o.normalizer, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, warmupIters: o.warmupIters,
      warmupFactor: o.warmupFactor, milestones: o.milestones, lrGamma: o.lrGamma, clipGradNorm: o.clipGradNorm,
    };
  }

  private async initialParams(): Promise<ReturnType<typeof buildParams>> {
    const o = this.options;
    if (o.initFrom) {
      const m = await loadModelDir(o.initFrom);
      return buildParams(m.weights, o.model.backbone.bnEps);
    }
    const weights = initWeights(o.model, o.seed);
    if (o.zeroInitResidual) zeroResidualBranches(weights);
    return buildParams(weights, o.model.backbone.bnEps);
  }

  async run(run: RunOptions = {}): Promise<TrainResult> {
    const o = this.options;
    const log = new TrainLog(o.logPath, run.progress === undefined ? undefined : run.progress);
    const raw = await loadCocoDataset(o.annotations, o.images);
    const dataset = toModelClasses(raw, o.classNumbering, o.model.numClasses, o.annotations);
    if (dataset.images.length < o.batchSize) {
      throw new TrainerError('RS_ERR_TRAIN_DATA', `${o.annotations}: ${dataset.images.length} images with boxes, fewer than batchSize ${o.batchSize}`);
    }
    const inp = o.model.input;
    const loader = new CocoLoader(dataset, {
      batchSize: o.batchSize, minSize: inp.minSize, maxSize: inp.maxSize, sizeRounding: inp.sizeRounding,
      sizeDivisible: inp.sizeDivisible, flipProb: o.flipProb, seed: o.seed, prefetch: 0, dtype: 'uint8',
    });
    const stream = new BatchStream(loader, o.batchSize, o.seed, o.prefetch);
    const model = new TrainableModel(o.model, await this.initialParams());
    const schedule = makeLrSchedule({ baseLr: o.lr, totalIters: o.iterations, milestones: o.milestones, gamma: o.lrGamma, warmupIters: o.warmupIters, warmupFactor: o.warmupFactor });
    const optimizer = new SgdMomentum({ schedule, momentum: o.momentum, weightDecay: o.weightDecay, clipGradNorm: o.clipGradNorm });
    let normalizer = o.normalizer === 'ema' ? new EmaNormalizer() : null;
    const anchors = new AnchorCache();
    let start = 0;
    try {
      if (run.resume) {
        const dir = o.checkpointDir;
        if (!dir) throw new TrainerError('RS_ERR_CHECKPOINT', 'resume: no checkpointDir given');
        if (!(await hasCheckpoint(dir))) throw new TrainerError('RS_ERR_CHECKPOINT', `${dir}: no checkpoint to resume from`);
        const ck = await loadCheckpoint(dir);
        checkFingerprint(dir, { ...ck.state.fingerprint, model: trainedPart(ck.state.fingerprint.model as ModelConfig) }, this.fingerprint());
        try {
          model.loadRawParams(ck.params, dir);
        } catch (e) {
          throw new TrainerError('RS_ERR_CHECKPOINT', (e as Error).message);
        }
        const buffers = new Map([...ck.optimizer].map(([k, v]) => [model.variableName(k), v]));
        optimizer.loadState({ iteration: ck.state.iteration, buffers }, model.variables);
        if (o.normalizer === 'ema') {
          if (!ck.state.normalizer) throw new TrainerError('RS_ERR_CHECKPOINT', `${dir}: checkpoint has no normalizer state`);
          normalizer = EmaNormalizer.fromState(ck.state.normalizer);
        }
        start = ck.state.iteration;
        log.note(`resumed from ${dir} at iteration ${start}`);
      }
      const stopAt = Math.min(run.stopAt ?? o.iterations, o.iterations);
      const matcher = new Matcher();
      const lossOptions = { alpha: o.alpha, gamma: o.gamma, boxLoss: o.boxLoss, smoothL1Beta: o.smoothL1Beta, normalizer: normalizer ?? ('perImage' as const), bboxXformClip: o.model.postprocess.bboxXformClip };
      const losses: number[] = [];
      const t0 = Date.now();
      let windowStart = Date.now();
      let windowImages = 0;
      let totalImages = 0;
      for (let it = start; it < stopAt; it++) {
        const batch = await stream.next(it, stopAt);
        const r = trainStep({ model, optimizer, anchors, matcher, loss: lossOptions }, batch);
        if (!Number.isFinite(r.loss)) throw new TrainerError('RS_ERR_TRAIN_DIVERGED', `iteration ${it + 1}: loss is ${r.loss} (lower lr or set clipGradNorm)`);
        losses.push(r.loss);
        run.onStep?.(it + 1, r);
        windowImages += batch.batchShape[0];
        totalImages += batch.batchShape[0];
        const done = it + 1;
        if (done % o.logInterval === 0 || done === stopAt) {
          const now = Date.now();
          const imagesPerSec = windowImages / Math.max(1e-3, (now - windowStart) / 1000);
          log.write({ iteration: done, ...r, imagesPerSec, elapsedSec: (now - t0) / 1000 }, o.iterations);
          windowStart = now;
          windowImages = 0;
        }
        if (o.checkpointDir && ((o.checkpointInterval > 0 && done % o.checkpointInterval === 0) || done === stopAt)) {
          await this.checkpoint(model, optimizer, normalizer, done);
          log.note(`checkpoint ${o.checkpointDir} at iteration ${done}`);
        }
      }
      const weights = await exportParams(model.net.params, o.model.backbone.bnEps);
      const imagesPerSec = totalImages / Math.max(1e-3, (Date.now() - t0) / 1000);
      return { iterations: stopAt, losses, weights, config: o.model, imagesPerSec };
    } finally {
      stream.close();
      anchors.dispose();
      optimizer.dispose();
      model.dispose();
    }
  }

  private async checkpoint(model: TrainableModel, optimizer: SgdMomentum, normalizer: EmaNormalizer | null, iteration: number): Promise<void> {
    const o = this.options;
    const st = optimizer.state();
    const buffers = new Map([...st.buffers].map(([k, v]) => [model.paramName(k), v]));
    const canonical = await exportParams(model.net.params, o.model.backbone.bnEps);
    await saveCheckpoint(o.checkpointDir!, o.model, canonical, {
      state: { format: 'retinastream/train-checkpoint@1', iteration, normalizer: normalizer?.state() ?? null, fingerprint: this.fingerprint(), savedAt: new Date().toISOString() },
      params: model.rawParams(),
      optimizer: buffers,
    });
  }
}

/** Tensors alive in tfjs right now (to check that training leaks none). */
export function liveTensors(): number {
  return tf.memory().numTensors;
}
