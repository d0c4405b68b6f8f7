// Trainer options: plain arguments with the paper's defaults (Lin et al. 2017, sec. 5.1: SGD, momentum 0.9,
// weight decay 1e-4, lr 0.01 at batch 16, x0.1 at 60k and 80k of 90k iterations, alpha 0.25, gamma 2),
// scaled to the run: lr linearly with the batch size, milestones as fractions of the run, warmup a short
// fraction of it. `resolveTrainerOptions` fills the defaults and rejects bad values with one-line errors.
import { validateModelConfig, type ModelConfig } from '../../model/config.ts';
import type { BoxLossType } from '../losses/retinanetLoss.ts';
import { TrainerError } from './trainerError.ts';

export interface TrainerOptions {
  /** Full model configuration (numClasses, classNames, backbone, fpn, head, anchors, input). */
  model: ModelConfig;
  /** COCO annotations and images folder of the training set. */
  annotations: string;
  images: string;
  /** Start from these weights (a model directory) instead of the paper's random init. */
  initFrom?: string | null;
  /** Random init only: zero the last batch norm of every residual branch (torchvision zero_init_residual),
   *  so each block starts as the identity. With frozen (folded) batch norm and no ImageNet weights this
   *  keeps activations from growing block by block. Default false (the paper's init). */
  zeroInitResidual?: boolean;
  /** How dataset categories become class indices: 'categoryId' (torchvision: index = COCO id, 0 unused)
   *  or 'contiguous' (detectron2: 0..C-1 in id order). Default 'categoryId'. */
  classNumbering?: 'categoryId' | 'contiguous';
  batchSize?: number;
  iterations: number;
  /** Base learning rate; default 0.01 * batchSize / 16 (the paper's linear scaling). */
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  /** Linear warmup iterations; default min(1000, ceil(iterations / 20)). */
  warmupIters?: number;
  warmupFactor?: number;
  /** lr x lrGamma at each fraction of the run; default [2/3, 8/9] (60k, 80k of 90k). */
  milestones?: number[];
  lrGamma?: number;
  /** Focal loss alpha and gamma (paper: 0.25, 2). gamma 0 is alpha-balanced cross entropy. */
  alpha?: number;
  gamma?: number;
  boxLoss?: BoxLossType;
  smoothL1Beta?: number;
  /** 'perImage' (torchvision) or 'ema' (detectron2). */
  normalizer?: 'perImage' | 'ema';
  /** Clip the global gradient norm to this; null: no clipping. */
  clipGradNorm?: number | null;
  /** Seeds the init, the shuffle and the flips. */
  seed?: number;
  flipProb?: number;
  /** Checkpoint every N iterations (0: only at the end) into checkpointDir (null: no checkpoints). */
  checkpointDir?: string | null;
  checkpointInterval?: number;
  /** JSONL log of logged steps (null: none); a progress line on stderr every logInterval iterations. */
  logPath?: string | null;
  logInterval?: number;
  /** Batches loaded ahead while a step runs. */
  prefetch?: number;
}

export type ResolvedTrainerOptions = Required<TrainerOptions>;

export function defaultLr(batchSize: number): number {
  return (0.01 * batchSize) / 16;
}

export function resolveTrainerOptions(o: TrainerOptions): ResolvedTrainerOptions {
  const batchSize = o.batchSize ?? 16;
  const r: ResolvedTrainerOptions = {
    initFrom: null,
    zeroInitResidual: false,
    classNumbering: 'categoryId',
    batchSize,
    lr: defaultLr(batchSize),
    momentum: 0.9,
    weightDecay: 1e-4,
    warmupIters: Math.min(1000, Math.ceil((o.iterations > 0 ? o.iterations : 0) / 20)),
    warmupFactor: 0.001,
    milestones: [2 / 3, 8 / 9],
    lrGamma: 0.1,
    alpha: 0.25,
    gamma: 2,
    boxLoss: 'l1',
    smoothL1Beta: 0,
    normalizer: 'perImage',
    clipGradNorm: null,
    seed: 0,
    flipProb: 0.5,
    checkpointDir: null,
    checkpointInterval: 0,
    logPath: null,
    logInterval: 20,
    prefetch: 1,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
  } as ResolvedTrainerOptions;
  const bad = (key: string, v: unknown, want: string): never => {
    throw new TrainerError('RS_ERR_TRAIN_OPTIONS', `trainer option ${key}: ${JSON.stringify(v)} is not ${want}`);
  };
  const posInt = (key: keyof ResolvedTrainerOptions, min = 1) => {
    const v = r[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) bad(key, v, min === 0 ? 'an integer >= 0' : 'a positive integer');
  };
  if (typeof r.annotations !== 'string' || r.annotations === '') bad('annotations', r.annotations, 'a path to a COCO annotation file');
  if (typeof r.images !== 'string' || r.images === '') bad('images', r.images, 'a path to an images folder');
  posInt('batchSize');
  posInt('iterations');
  posInt('warmupIters', 0);
  posInt('checkpointInterval', 0);
  posInt('logInterval');
  posInt('prefetch', 0);
  posInt('seed', 0);
  if (!(r.lr > 0)) bad('lr', r.lr, 'a number > 0');
  if (!(r.momentum >= 0 && r.momentum < 1)) bad('momentum', r.momentum, 'in [0, 1)');
  if (!(r.weightDecay >= 0)) bad('weightDecay', r.weightDecay, 'a number >= 0');
  if (!(r.warmupFactor > 0 && r.warmupFactor <= 1)) bad('warmupFactor', r.warmupFactor, 'in (0, 1]');
  if (!Array.isArray(r.milestones) || !r.milestones.every((m, i) => m > 0 && m < 1 && (i === 0 || m > r.milestones[i - 1]))) {
    bad('milestones', r.milestones, 'an increasing list of fractions in (0, 1)');
  }
  if (!(r.lrGamma > 0)) bad('lrGamma', r.lrGamma, 'a number > 0');
  if (!(r.alpha >= 0 && r.alpha <= 1)) bad('alpha', r.alpha, 'in [0, 1]');
  if (!(r.gamma >= 0)) bad('gamma', r.gamma, 'a number >= 0');
  if (!['l1', 'smooth_l1', 'giou'].includes(r.boxLoss)) bad('boxLoss', r.boxLoss, 'one of "l1", "smooth_l1", "giou"');
  if (!(r.smoothL1Beta >= 0)) bad('smoothL1Beta', r.smoothL1Beta, 'a number >= 0');
  if (r.normalizer !== 'perImage' && r.normalizer !== 'ema') bad('normalizer', r.normalizer, '"perImage" or "ema"');
  if (r.clipGradNorm !== null && !(r.clipGradNorm > 0)) bad('clipGradNorm', r.clipGradNorm, 'a number > 0 or null');
  if (!(r.flipProb >= 0 && r.flipProb <= 1)) bad('flipProb', r.flipProb, 'in [0, 1]');
  if (typeof r.zeroInitResidual !== 'boolean') bad('zeroInitResidual', r.zeroInitResidual, 'true or false');
  if (r.classNumbering !== 'categoryId' && r.classNumbering !== 'contiguous') bad('classNumbering', r.classNumbering, '"categoryId" or "contiguous"');
  try {
    validateModelConfig(r.model, 'trainer option model');
  } catch (e) {
    throw new TrainerError('RS_ERR_TRAIN_OPTIONS', (e as Error).message);
  }
  return r;
}
