// The RetinaNet forward pass (backbone, FPN, both subnets on every level) as one TensorFlow graph, for the
// native backend: written as a SavedModel from the same architecture code (graphOps.ts), loaded into a
// TensorFlow session (TF_LoadSessionFromSavedModel, through tfjs-node's binding) and run with one session call
// per batch. Every conv + bias (+ residual add) + ReLU runs as one oneDNN kernel on the CPU (on a GPU, the
// graph optimizer fuses what cuDNN can), which op-by-op execution cannot. Post-processing stays in tfjs
// (postprocess.ts). The nodes are placed on the backend's device: the CPU, or the GPU for tensorflow-gpu.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../config.ts';
import { fpnForward } from '../fpn.ts';
import { BOX_SUBNET, CLASS_SUBNET, subnetForward, toAnchorRows } from '../head.ts';
import { Params } from '../params.ts';
import { resnetForward } from '../resnet.ts';
import { DT_BFLOAT16, DT_FLOAT, GraphBuilder, type Ref } from './graphDef.ts';
import { graphOps, type ConvNodes } from './graphOps.ts';
import { GraphSession } from './graphSession.ts';

export const LEVELS = 5;

/** What the graph computes in: float32, or bfloat16 (inputs and outputs stay float32). */
export type GraphPrecision = 'fp32' | 'bf16';

/** Where the graph's nodes run. */
export type GraphDevice = 'cpu' | 'gpu';

export interface GraphOptions {
  precision?: GraphPrecision;
  device?: GraphDevice;
  /** How convolutions are written (graphOps.ts); default: the fastest the device and precision allow. */
  convNodes?: ConvNodes;
  /** TensorFlow runs with oneDNN (default true; false with TF_ENABLE_ONEDNN_OPTS=0). */
  onednn?: boolean;
}

/**
 * The conv nodes for a device and precision: oneDNN's fused ops on the CPU, separate ops on a GPU, and on a CPU
 * whose TensorFlow runs without oneDNN (TF_ENABLE_ONEDNN_OPTS=0) for bfloat16.
 */
export function defaultConvNodes(device: GraphDevice, precision: GraphPrecision, onednn = true): ConvNodes {
  if (device === 'gpu') return 'separate';
  if (precision === 'fp32') return 'fused';
  return onednn ? 'onednn' : 'separate';
}

/**
 * saved_model.pb bytes of the forward pass: input "x" [N, H, W, 3] -> "cls{l}", "box{l}" [N, h, w, A*K | A*4],
 * all float32. With 'bf16' the weights are stored and the network computes in bfloat16 between a cast of the
 * input and casts of the outputs.
 */
export function retinanetSavedModel(config: ModelConfig, params: Params, opts: GraphOptions = {}): Uint8Array {
  const { precision = 'fp32', device = 'cpu' } = opts;
  const g = new GraphBuilder(device === 'gpu' ? '/device:GPU:0' : '/device:CPU:0');
  const dtype = precision === 'bf16' ? DT_BFLOAT16 : DT_FLOAT;
  const x = g.placeholder('x', DT_FLOAT, [-1, -1, -1, 3]);
  const toFloat = (stem: string, r: Ref): Ref => (dtype === DT_FLOAT ? g.node('Identity', stem, [r], { T: { type: DT_FLOAT } }) : g.cast(r, dtype, DT_FLOAT, stem));
  const input = g.cast(x, DT_FLOAT, dtype);
  const o = graphOps(g, params, dtype, opts.convNodes ?? defaultConvNodes(device, precision, opts.onednn));
  const p = fpnForward(o, resnetForward(o, input, config.backbone), config.fpn);
  const outputs: Record<string, Ref> = {};
  p.forEach((f, l) => {
    outputs[`cls${l}`] = toFloat(`cls${l}`, subnetForward(o, f, CLASS_SUBNET, config.head));
    outputs[`box${l}`] = toFloat(`box${l}`, subnetForward(o, f, BOX_SUBNET, config.head));
  });
  return g.savedModel({ x: { node: x, dtype: DT_FLOAT, shape: [-1, -1, -1, 3] } }, outputs);
}

export class GraphForward {
  private constructor(
    private readonly session: GraphSession,
    private readonly numClasses: number,
    /** How the loaded graph writes its convolutions (after any fallback). */
    readonly convNodes: ConvNodes,
  ) {}

  /**
   * Builds and loads the graph (a tensorflow backend must be active). A TensorFlow build that cannot load or run
   * oneDNN's fused op (bf16 on the CPU) gets the separate ops instead: a probe graph of two such convolutions
   * checks it. The model's own graph is not run on a probe input: each oneDNN convolution keeps its weights in
   * the layout chosen for the first input it sees, and a probe-sized first input would leave every later
   * (real-sized) call reordering the weights of the convolutions whose layout differs (~2% of bf16's speed).
   */
  static create(config: ModelConfig, params: Params, opts: GraphOptions = {}): GraphForward {
    let convNodes = opts.convNodes ?? defaultConvNodes(opts.device ?? 'cpu', opts.precision ?? 'fp32', opts.onednn);
    if (convNodes === 'onednn' && !runsOnednnBf16()) convNodes = 'separate';
    return new GraphForward(GraphSession.load(retinanetSavedModel(config, params, { ...opts, convNodes })), config.numClasses, convNodes);
  }

  /** Per level: class logits [N, H*W*A, K], box deltas [N, H*W*A, 4], and the level's feature size. */
  forward(x: tf.Tensor4D): { cls: tf.Tensor3D[]; box: tf.Tensor3D[]; featureSizes: [number, number][] } {
    const names = Array.from({ length: LEVELS }, (_, l) => [`cls${l}:0`, `box${l}:0`]).flat();
    const outs = this.session.run({ 'x:0': x }, names) as tf.Tensor4D[];
    try {
      const cls: tf.Tensor3D[] = [];
      const box: tf.Tensor3D[] = [];
      const featureSizes: [number, number][] = [];
      for (let l = 0; l < LEVELS; l++) {
        cls.push(toAnchorRows(outs[2 * l], this.numClasses));
        box.push(toAnchorRows(outs[2 * l + 1], 4));
        featureSizes.push([outs[2 * l].shape[1], outs[2 * l].shape[2]]);
      }
      return { cls, box, featureSizes };
    } finally {
      tf.dispose(outs);
    }
  }

  dispose(): void {
    this.session.dispose();
  }
}

/** Whether this TensorFlow loads and runs bfloat16 _MklNativeFusedConv2D nodes (with and without the residual add). */
function runsOnednnBf16(): boolean {
  const params = new Params(new Map<string, tf.Tensor>([
    ['a.weight', tf.ones([3, 3, 3, 8])],
    ['a.bias', tf.zeros([8])],
    ['b.weight', tf.ones([1, 1, 8, 8])],
    ['b.bias', tf.zeros([8])],
  ]));
  let session: GraphSession | null = null;
  try {
    const g = new GraphBuilder('/device:CPU:0');
    const x = g.placeholder('x', DT_FLOAT, [-1, -1, -1, 3]);
    const o = graphOps(g, params, DT_BFLOAT16, 'onednn');
    const a = o.conv(g.cast(x, DT_FLOAT, DT_BFLOAT16), 'a', 1, true);
    const y = g.cast(o.convAddRelu(a, 'b', 1, a), DT_BFLOAT16, DT_FLOAT, 'y');
    session = GraphSession.load(g.savedModel({ x: { node: x, dtype: DT_FLOAT, shape: [-1, -1, -1, 3] } }, { y }));
    const s = session;
    tf.tidy(() => void s.run({ 'x:0': tf.zeros([1, 8, 8, 3]) }, ['y:0']));
    return true;
  } catch {
    return false;
  } finally {
    session?.dispose();
    params.dispose();
  }
}
