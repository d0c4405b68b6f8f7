// SGD with momentum and weight decay, with PyTorch's torch.optim.SGD semantics (the paper's optimizer:
// momentum 0.9, weight decay 1e-4):
//   g <- grad (+ wd * w unless the variable is excluded from decay)
//   buf <- g on the first step, else momentum * buf + g        (dampening 0)
//   w <- w - lr * buf            (nesterov: w <- w - lr * (g + momentum * buf))
// Optional global-norm clipping of the raw gradients first. lr comes from an LrSchedule at the optimizer's
// iteration counter. state()/loadState() carry the momentum buffers and the iteration for resuming.
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor, TensorMap } from '../../model/weights/safetensors.ts';
import { TrainError } from '../losses/trainError.ts';
import { clipByGlobalNorm } from './clipGradNorm.ts';
import type { LrSchedule } from './lrSchedule.ts';

export interface SgdOptions {
  schedule: LrSchedule;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
  /** Clip the gradients' global L2 norm to this (null: no clipping). */
  clipGradNorm?: number | null;
  /** Variables to exempt from weight decay, e.g. `isBiasOrNorm` (detectron2's WEIGHT_DECAY_NORM = 0). Default: none. */
  skipDecay?: (name: string, shape: number[]) => boolean;
}

/** Biases and normalization scales/shifts: the rank-1 parameters. */
export function isBiasOrNorm(_name: string, shape: number[]): boolean {
  return shape.length <= 1;
}

export interface SgdState {
  iteration: number;
  /** Momentum buffer per variable name, float32. */
  buffers: TensorMap;
}

export interface SgdStepInfo {
  iteration: number;
  lr: number;
  /** Global gradient norm before clipping (only computed when clipping). */
  gradNorm: number | null;
}

export class SgdMomentum {
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  readonly clipGradNorm: number | null;
  private readonly schedule: LrSchedule;
  private readonly skipDecay: (name: string, shape: number[]) => boolean;
  private readonly buffers = new Map<string, tf.Tensor>();
  private iter = 0;

  constructor(options: SgdOptions) {
    const { schedule, momentum = 0.9, weightDecay = 1e-4, nesterov = false, clipGradNorm = null, skipDecay = () => false } = options;
    if (!(momentum >= 0 && momentum < 1)) throw new TrainError('RS_ERR_OPTIM_CONFIG', `SgdMomentum: momentum ${momentum} must be in [0, 1)`);
    if (!(weightDecay >= 0)) throw new TrainError('RS_ERR_OPTIM_CONFIG', `SgdMomentum: weightDecay ${weightDecay} must be >= 0`);
    if (nesterov && momentum === 0) throw new TrainError('RS_ERR_OPTIM_CONFIG', 'SgdMomentum: nesterov needs momentum > 0');
    if (clipGradNorm !== null && !(clipGradNorm > 0)) throw new TrainError('RS_ERR_OPTIM_CONFIG', `SgdMomentum: clipGradNorm ${clipGradNorm} must be > 0 or null`);
    this.schedule = schedule;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    this.nesterov = nesterov;
    this.clipGradNorm = clipGradNorm;
    this.skipDecay = skipDecay;
  }

  get iteration(): number {
    return this.iter;
  }

  /** lr the next step will use. */
  get lr(): number {
    return this.schedule.lrAt(this.iter);
  }

  /**
   * Applies one update. `grads` maps variable names (as from tf.variableGrads) to gradients; variables are
   * found in `variables` or else among tfjs's registered variables. The gradients are not disposed.
   */
  step(grads: Record<string, tf.Tensor>, variables?: Record<string, tf.Variable>): SgdStepInfo {
    const registry = variables ?? (tf.engine().registeredVariables as Record<string, tf.Variable>);
    for (const [name, g] of Object.entries(grads)) {
      const v = registry[name];
      if (v === undefined) throw new TrainError('RS_ERR_OPTIM_STATE', `SgdMomentum.step: no variable named ${name}`);
      if (!tf.util.arraysEqual(v.shape, g.shape)) throw new TrainError('RS_ERR_OPTIM_STATE', `SgdMomentum.step: gradient of ${name} has shape [${g.shape}], variable [${v.shape}]`);
    }
    const lr = this.schedule.lrAt(this.iter);
    let gradNorm: number | null = null;
    let used = grads;
    if (this.clipGradNorm !== null) {
      const clipped = clipByGlobalNorm(grads, this.clipGradNorm);
      used = clipped.grads;
      gradNorm = clipped.norm;
    }
    for (const [name, g0] of Object.entries(used)) {
      const v = registry[name];
      tf.tidy(() => {
        let g = g0;
        if (this.weightDecay > 0 && !this.skipDecay(name, v.shape)) g = tf.add(g, tf.mul(v, this.weightDecay));
        let update = g;
        if (this.momentum > 0) {
          const old = this.buffers.get(name);
          const buf = old === undefined ? g.clone() : tf.add(tf.mul(old, this.momentum), g);
          old?.dispose();
          this.buffers.set(name, tf.keep(buf));
          update = this.nesterov ? tf.add(g, tf.mul(buf, this.momentum)) : buf;
        }
        v.assign(tf.sub(v, tf.mul(update, lr)));
      });
    }
    if (used !== grads) tf.dispose(Object.values(used));
    this.iter += 1;
    return { iteration: this.iter, lr, gradNorm };
  }

  /** A copy of the optimizer state (momentum buffers as float32 arrays) for a checkpoint. */
  state(): SgdState {
    const buffers: TensorMap = new Map();
    for (const [name, t] of this.buffers) buffers.set(name, { shape: t.shape.slice(), data: t.dataSync().slice() as Float32Array });
    return { iteration: this.iter, buffers };
  }

  /** Restores a state from `state()`; every buffer must match a variable's shape when `variables` are given. */
  loadState(state: SgdState, variables?: Record<string, tf.Variable>): void {
    if (!(Number.isInteger(state.iteration) && state.iteration >= 0)) throw new TrainError('RS_ERR_OPTIM_STATE', `SgdMomentum.loadState: iteration ${state.iteration} must be an integer >= 0`);
    const registry = variables ?? (tf.engine().registeredVariables as Record<string, tf.Variable>);
    const next = new Map<string, tf.Tensor>();
    for (const [name, b] of state.buffers as Map<string, NamedTensor>) {
      const v = registry[name];
      if (v === undefined) throw new TrainError('RS_ERR_OPTIM_STATE', `SgdMomentum.loadState: momentum buffer ${name} has no variable`);
      if (!tf.util.arraysEqual(v.shape, b.shape)) throw new TrainError('RS_ERR_OPTIM_STATE', `SgdMomentum.loadState: buffer ${name} has shape [${b.shape}], variable [${v.shape}]`);
      next.set(name, tf.tensor(b.data, b.shape, 'float32'));
    }
    this.dispose();
    for (const [n, t] of next) this.buffers.set(n, t);
    this.iter = state.iteration;
  }

  dispose(): void {
    for (const t of this.buffers.values()) t.dispose();
    this.buffers.clear();
  }
}
