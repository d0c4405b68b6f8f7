// Model parameters as tfjs tensors, built from canonical (torchvision-named, PyTorch-layout) weights.
// Frozen batch norm is folded into the preceding convolution at load:
//   w' = w * gamma / sqrt(var + eps),  b' = beta - mean * gamma / sqrt(var + eps)
// and conv weights are transposed from OIHW to tfjs' HWIO.
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor, TensorMap } from './weights/safetensors.ts';
import { RetinaStreamError } from '../errors.ts';

export interface ConvParams {
  w: tf.Tensor4D; // [kh, kw, in, out]
  b: tf.Tensor1D;
}
export interface NormParams {
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
}

export class ParamError extends RetinaStreamError<'RS_ERR_WEIGHTS'> {
  constructor(message: string) {
    super('RS_ERR_WEIGHTS', message);
  }
}

/** A named set of tfjs tensors (or variables, for training). */
export class Params {
  constructor(readonly tensors: Map<string, tf.Tensor>) {}

  conv(name: string): ConvParams {
    return { w: this.get(`${name}.weight`) as tf.Tensor4D, b: this.get(`${name}.bias`) as tf.Tensor1D };
  }

  norm(name: string): NormParams {
    return { gamma: this.get(`${name}.weight`) as tf.Tensor1D, beta: this.get(`${name}.bias`) as tf.Tensor1D };
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  get(name: string): tf.Tensor {
    const t = this.tensors.get(name);
    if (!t) throw new ParamError(`weights: missing tensor ${name}`);
    return t;
  }

  count(): number {
    let n = 0;
    for (const t of this.tensors.values()) n += t.size;
    return n;
  }

  dispose(): void {
    for (const t of this.tensors.values()) t.dispose();
    this.tensors.clear();
  }
}

function need(weights: TensorMap, name: string): NamedTensor {
  const t = weights.get(name);
  if (!t) throw new ParamError(`weights: missing tensor ${name}`);
  return t;
}

/** OIHW -> HWIO, optionally scaling each output channel. */
function toHWIO(w: NamedTensor, scale?: Float32Array): Float32Array {
  const [O, I, H, W] = w.shape;
  const out = new Float32Array(w.data.length);
  for (let o = 0; o < O; o++) {
    const s = scale ? scale[o] : 1;
    for (let i = 0; i < I; i++) {
      for (let h = 0; h < H; h++) {
        for (let x = 0; x < W; x++) {
          out[((h * W + x) * I + i) * O + o] = w.data[((o * I + i) * H + h) * W + x] * s;
        }
      }
    }
  }
  return out;
}

/** The batch-norm name that follows a conv in torchvision's naming, or null if none. */
export function bnNameFor(conv: string): string | null {
  const m = /^(.*)\.conv(\d)$/.exec(conv);
  if (m) return `${m[1]}.bn${m[2]}`;
  if (conv.endsWith('.downsample.0')) return conv.replace(/\.0$/, '.1');
  return null;
}

/**
 * Build tfjs parameters from canonical weights. Every `X.weight` of rank 4 becomes conv `X`;
 * if a batch norm follows it (torchvision names: convN -> bnN, downsample.0 -> downsample.1), it is
 * folded in with `bnEps`. GroupNorm affine params (rank 1, not consumed by folding) are kept.
 */
export function buildParams(weights: TensorMap, bnEps: number): Params {
  const out = new Map<string, tf.Tensor>();
  const consumed = new Set<string>();
  for (const [name, t] of weights) {
    if (!name.endsWith('.weight') || t.shape.length !== 4) continue;
    const conv = name.slice(0, -'.weight'.length);
    const [O, , H, W] = t.shape;
    const I = t.shape[1];
    const bn = bnNameFor(conv);
    let scale: Float32Array | undefined;
    let bias = new Float32Array(O);
    if (bn && weights.has(`${bn}.running_mean`)) {
      const gamma = need(weights, `${bn}.weight`).data;
      const beta = need(weights, `${bn}.bias`).data;
      const mean = need(weights, `${bn}.running_mean`).data;
      const variance = need(weights, `${bn}.running_var`).data;
      scale = new Float32Array(O);
      for (let o = 0; o < O; o++) {
        scale[o] = gamma[o] / Math.sqrt(variance[o] + bnEps);
        bias[o] = beta[o] - mean[o] * scale[o];
      }
      for (const k of ['weight', 'bias', 'running_mean', 'running_var']) consumed.add(`${bn}.${k}`);
    } else if (weights.has(`${conv}.bias`)) {
      bias = Float32Array.from(weights.get(`${conv}.bias`)!.data);
      consumed.add(`${conv}.bias`);
    }
    out.set(`${conv}.weight`, tf.tensor4d(toHWIO(t, scale), [H, W, I, O]));
    out.set(`${conv}.bias`, tf.tensor1d(bias));
    consumed.add(name);
  }
  for (const [name, t] of weights) {
    if (consumed.has(name) || name.endsWith('num_batches_tracked')) continue;
    if (t.shape.length === 1) out.set(name, tf.tensor1d(t.data)); // GroupNorm affine
  }
  return new Params(out);
}

/**
 * Export parameters back to canonical torchvision-named weights (OIHW). Folded convs are written
 * with an identity batch norm (gamma 1, mean 0, var 1 - eps, beta = folded bias), so that loading
 * them again with the same eps reproduces the same network.
 */
export async function exportParams(params: Params, bnEps: number): Promise<TensorMap> {
  const out: TensorMap = new Map();
  for (const [name, t] of params.tensors) {
    if (!name.endsWith('.weight') || t.rank !== 4) continue;
    const conv = name.slice(0, -'.weight'.length);
    const [H, W, I, O] = t.shape;
    const hwio = (await t.data()) as Float32Array;
    const oihw = new Float32Array(hwio.length);
    for (let h = 0; h < H; h++)
      for (let x = 0; x < W; x++)
        for (let i = 0; i < I; i++)
          for (let o = 0; o < O; o++) oihw[((o * I + i) * H + h) * W + x] = hwio[((h * W + x) * I + i) * O + o];
    out.set(name, { shape: [O, I, H, W], data: oihw });
    const bias = Float32Array.from((await params.get(`${conv}.bias`).data()) as Float32Array);
    const bn = bnNameFor(conv);
    if (bn) {
      out.set(`${bn}.weight`, { shape: [O], data: new Float32Array(O).fill(1) });
      out.set(`${bn}.bias`, { shape: [O], data: bias });
      out.set(`${bn}.running_mean`, { shape: [O], data: new Float32Array(O) });
      out.set(`${bn}.running_var`, { shape: [O], data: new Float32Array(O).fill(1 - bnEps) });
    } else {
      out.set(`${conv}.bias`, { shape: [O], data: bias });
    }
  }
  for (const [name, t] of params.tensors) {
    // GroupNorm affine params: rank 1, with a rank-1 '.weight' sibling (a conv bias has a rank-4 one)
    const sibling = params.tensors.get(name.replace(/\.(weight|bias)$/, '.weight'));
    if (t.rank === 1 && sibling?.rank === 1) out.set(name, { shape: [t.size], data: Float32Array.from((await t.data()) as Float32Array) });
  }
  return out;
}
