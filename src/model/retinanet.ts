// RetinaNet: ResNet body -> FPN P3..P7 -> class and box subnets, plus the anchors for a padded input size.
import * as tf from '@tensorflow/tfjs-core';
import { generateAnchors } from './anchors.ts';
import { anchorsPerLocation, type ModelConfig } from './config.ts';
import { fpnForward } from './fpn.ts';
import { headForward } from './head.ts';
import { GraphForward, type GraphDevice, type GraphPrecision } from './graph/graphModel.ts';
import { eagerOps } from './netOps.ts';
import type { Params } from './params.ts';
import { resnetForward } from './resnet.ts';

export interface HeadOutputs {
  /** Per level P3..P7: class logits [N, H*W*A, K]. */
  cls: tf.Tensor3D[];
  /** Per level: box deltas [N, H*W*A, 4]. */
  box: tf.Tensor3D[];
  /** Per level feature map size [H, W]. */
  featureSizes: [number, number][];
}

export class RetinaNet {
  private anchorCache = new Map<string, tf.Tensor2D>();
  private graph: GraphForward | null = null;

  constructor(
    readonly config: ModelConfig,
    readonly params: Params,
  ) {}

  /**
   * Run the forward pass as one TensorFlow graph from now on (the tensorflow backends; see graph/graphModel.ts).
   * Inference only: training differentiates the eager forward. `precision` 'bf16' computes in bfloat16.
   * The graph holds its own copy of the weights, so the eager ones are released (a ResNet-101-FPN's 220 MB per
   * worker); the eager forward is not available afterwards.
   */
  useGraph(precision: GraphPrecision = 'fp32', device: GraphDevice = 'cpu', onednn = true): void {
    if (this.graph) return;
    this.graph = GraphForward.create(this.config, this.params, { precision, device, onednn });
    this.params.dispose();
  }

  /** How the graph writes its convolutions (graph/graphOps.ts), or null in eager execution. */
  get graphConvNodes(): string | null {
    return this.graph?.convNodes ?? null;
  }

  get execution(): 'graph' | 'eager' {
    return this.graph ? 'graph' : 'eager';
  }

  /** x: normalized NHWC input, H and W padded to a multiple of config.input.sizeDivisible. */
  forward(x: tf.Tensor4D): HeadOutputs {
    if (this.graph) return this.graph.forward(x);
    if (this.params.tensors.size === 0) throw new Error('RetinaNet.forward: the eager weights were released (disposed, or replaced by the graph)');
    const o = eagerOps(this.params);
    const c = resnetForward(o, x, this.config.backbone);
    const p = fpnForward(o, c, this.config.fpn);
    tf.dispose(c);
    const featureSizes = p.map((f) => [f.shape[1], f.shape[2]] as [number, number]);
    const { cls, box } = headForward(o, p, this.config.head, this.config.numClasses);
    tf.dispose(p);
    return { cls, box, featureSizes };
  }

  /** Anchors [sum(H*W*A), 4] for one padded input size, per level, cached (kept across calls). */
  anchors(imageSize: [number, number], featureSizes: [number, number][]): tf.Tensor2D[] {
    const key = `${imageSize}|${featureSizes.join(';')}`;
    let all = this.anchorCache.get(key);
    if (!all) {
      const data = generateAnchors(this.config.anchors, imageSize, featureSizes);
      all = tf.keep(tf.tensor2d(data, [data.length / 4, 4]));
      this.anchorCache.set(key, all);
    }
    const A = anchorsPerLocation(this.config.anchors);
    const sizes = featureSizes.map(([h, w]) => h * w * A);
    return tf.split(all, sizes, 0);
  }

  dispose(): void {
    this.graph?.dispose();
    this.graph = null;
    for (const t of this.anchorCache.values()) t.dispose();
    this.anchorCache.clear();
    this.params.dispose();
  }
}
