// What this TensorFlow build's matrix multiply reaches on this machine, the rate a model's GFLOP/s is set
// against: an n x n MatMul run as a one-node graph (as the model runs), in float32 or bfloat16 (oneDNN's bf16
// kernels; the two casts around it are O(n^2) against the multiply's O(n^3)).
import * as tf from '@tensorflow/tfjs-core';
import { DT_BFLOAT16, DT_FLOAT, GraphBuilder } from '../model/graph/graphDef.ts';
import type { GraphPrecision } from '../model/graph/graphModel.ts';
import { GraphSession } from '../model/graph/graphSession.ts';

/** GFLOP/s of the best of `repeats` timed runs (after one untimed), on the active tensorflow backend's CPU. */
export async function matmulPeak(precision: GraphPrecision, n = 4096, repeats = 3): Promise<number> {
  const dtype = precision === 'bf16' ? DT_BFLOAT16 : DT_FLOAT;
  const g = new GraphBuilder('/device:CPU:0');
  const x = g.placeholder('x', DT_FLOAT, [n, n]);
  const w = new Float32Array(n * n);
  for (let i = 0; i < w.length; i++) w[i] = ((Math.imul(i, 2654435761) >>> 0) / 2 ** 32 - 0.5) / 64;
  const product = g.node('MatMul', 'matmul', [g.cast(x, DT_FLOAT, dtype), g.constFloat('w', [n, n], w, dtype)], { T: { type: dtype }, transpose_a: { b: false }, transpose_b: { b: false } });
  const y = g.node('Identity', 'y', [g.cast(product, dtype, DT_FLOAT)], { T: { type: DT_FLOAT } });
  const session = GraphSession.load(g.savedModel({ x: { node: x, dtype: DT_FLOAT, shape: [n, n] } }, { y }));
  const a = tf.randomNormal([n, n]);
  try {
    let best = Infinity;
    for (let i = 0; i <= repeats; i++) {
      const t = performance.now();
      const [c] = session.run({ 'x:0': a }, ['y:0']);
      await c.data();
      if (i > 0) best = Math.min(best, performance.now() - t);
      c.dispose();
    }
    return (2 * n ** 3) / (best / 1000) / 1e9;
  } finally {
    a.dispose();
    session.dispose();
  }
}
