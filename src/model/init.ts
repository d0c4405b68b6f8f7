// Fresh weights for training from scratch, as canonical (torchvision-named) tensors:
// backbone convs Kaiming-normal (fan_out, ReLU) with identity batch norm; FPN and head convs
// N(0, 0.01) with zero bias (paper); the class logits bias set to -log((1 - pi) / pi).
import type { ModelConfig } from './config.ts';
import { parameterShapes } from './shapes.ts';
import type { NamedTensor, TensorMap } from './weights/safetensors.ts';

/** Small seeded PRNG (mulberry32) with Box-Muller normals. */
export function seededRandom(seed: number): { uniform(): number; normal(): number } {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

export function initWeights(cfg: ModelConfig, seed = 0): TensorMap {
  const rng = seededRandom(seed);
  const out: TensorMap = new Map();
  for (const [name, shape] of parameterShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (name.endsWith('.weight') && shape.length === 4) {
      const std = name.startsWith('backbone.body') ? Math.sqrt(2 / (shape[0] * shape[2] * shape[3])) : 0.01;
      for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
    } else if (name.endsWith('running_var') || (name.endsWith('.weight') && shape.length === 1)) {
      data.fill(1);
    } else if (name === 'head.classification_head.cls_logits.bias') {
      data.fill(-Math.log((1 - cfg.head.priorProb) / cfg.head.priorProb));
    }
    out.set(name, { shape, data } satisfies NamedTensor);
  }
  return out;
}

/**
 * Random weights for speed benchmarks: initWeights with every bias (and batch-norm shift) non-zero, as in a
 * trained model. With initWeights' zero biases TensorFlow's graph optimizer drops the bias additions, which a
 * trained model never allows, and a benchmark would time less work than real inference does.
 */
export function benchWeights(cfg: ModelConfig, seed = 0): TensorMap {
  const w = initWeights(cfg, seed);
  const rng = seededRandom(seed + 1);
  for (const [name, t] of w) {
    if (!(name.endsWith('.bias') || name.endsWith('running_mean'))) continue;
    const data = t.data as Float32Array;
    if (data.every((v) => v === 0)) for (let i = 0; i < data.length; i++) data[i] = 0.01 * rng.normal();
  }
  return w;
}
