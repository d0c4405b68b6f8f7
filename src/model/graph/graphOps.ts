// The network's operations as TensorFlow graph nodes (NetOps over node names): the same architecture code
// (resnet.ts, fpn.ts, head.ts) that runs eagerly also writes the graph. Weights become Const nodes; the input
// has a dynamic batch and size, so every shape that depends on it is computed in the graph (Shape ops).
import type { Params } from '../params.ts';
import type { NetOps } from '../netOps.ts';
import { DT_FLOAT, DT_INT32, type GraphBuilder, type Ref } from './graphDef.ts';

const NHWC = { s: 'NHWC' };

/**
 * How a convolution with its bias (+ residual add) (+ ReLU) is written:
 * - 'fused': one _FusedConv2D node (float32 on the CPU), which TensorFlow runs as one oneDNN convolution with
 *   post-ops (its graph optimizer would fuse only some of the separate ops);
 * - 'onednn': one _MklNativeFusedConv2D node, the op TensorFlow's oneDNN pass itself rewrites fused convolutions
 *   into: for bfloat16 on the CPU, which _FusedConv2D's op definition refuses. Written separately, the residual
 *   add and its ReLU were left to TensorFlow's own (slow) bfloat16 element-wise kernels; fused, they are
 *   oneDNN's sum and ReLU post-ops;
 * - 'separate': Conv2D, BiasAdd, AddV2 and Relu nodes, fused by the graph optimizer where the device can: the GPU
 *   graph (whose kernels differ), and the fallback for a TensorFlow build without oneDNN's ops.
 */
export type ConvNodes = 'fused' | 'onednn' | 'separate';

/**
 * @param dtype what the activations and weights are (DT_FLOAT, or DT_BFLOAT16: oneDNN's bf16 kernels, twice
 *   the multiply rate of fp32 on CPUs with AVX512_BF16 or AMX). GroupNorm's statistics stay in float32.
 */
export function graphOps(g: GraphBuilder, p: Params, dtype = DT_FLOAT, convNodes: ConvNodes = 'fused'): NetOps<Ref> {
  const T = { type: dtype };
  const F32 = { type: DT_FLOAT };
  const consts = new Map<string, Ref>(); // weights shared by the levels are one node each
  const weight = (name: string, as = dtype): Ref => {
    const key = `${name}/${as}`;
    let ref = consts.get(key);
    if (!ref) {
      const t = p.get(name);
      ref = g.constFloat(name, t.shape, t.dataSync() as Float32Array, as);
      consts.set(key, ref);
    }
    return ref;
  };
  const shapeOf = (x: Ref, t = T): Ref => g.node('Shape', `${x}/shape`, [x], { T: t, out_type: { type: DT_INT32 } });
  /** v[begin:end] of an int32 vector. */
  const slice = (v: Ref, begin: number, end: number, stem: string): Ref =>
    g.node('StridedSlice', stem, [v, g.constInt('c', [begin]), g.constInt('c', [end]), g.constInt('c', [1])], {
      T: { type: DT_INT32 },
      Index: { type: DT_INT32 },
      begin_mask: { i: 0 },
      end_mask: { i: 0 },
      ellipsis_mask: { i: 0 },
      new_axis_mask: { i: 0 },
      shrink_axis_mask: { i: 0 },
    });
  /** Conv + bias (+ residual add) (+ ReLU), as `convNodes` says (ONEDNN_VERBOSE shows the post-ops). */
  const fusedConv = (x: Ref, param: string, stride: number, fusedOps: string[], residual?: Ref): Ref => {
    const pad = (p.get(`${param}.weight`).shape[0] - 1) >> 1;
    const convAttrs = {
      T,
      strides: { ints: [1, stride, stride, 1] },
      padding: { s: 'EXPLICIT' },
      explicit_paddings: { ints: [0, 0, pad, pad, pad, pad, 0, 0] },
      data_format: NHWC,
      dilations: { ints: [1, 1, 1, 1] },
      use_cudnn_on_gpu: { b: true },
    };
    if (convNodes === 'separate') {
      let y = g.node('Conv2D', param, [x, weight(`${param}.weight`)], convAttrs);
      y = g.node('BiasAdd', `${param}/bias`, [y, weight(`${param}.bias`)], { T, data_format: NHWC });
      if (residual) y = g.node('AddV2', `${param}/add`, [y, residual], { T });
      return fusedOps.includes('Relu') ? g.node('Relu', `${param}/relu`, [y], { T }) : y;
    }
    const args = residual ? [weight(`${param}.bias`), residual] : [weight(`${param}.bias`)];
    return g.node(convNodes === 'onednn' ? '_MklNativeFusedConv2D' : '_FusedConv2D', param, [x, weight(`${param}.weight`), ...args], {
      ...convAttrs,
      num_args: { i: args.length },
      TArgs: { types: args.map(() => dtype) },
      fused_ops: { strings: fusedOps },
      epsilon: { f: 0.0001 },
      leakyrelu_alpha: { f: 0.2 },
      // the oneDNN op's kernel is registered under this label; a constant filter is reordered once and kept
      ...(convNodes === 'onednn' ? { _kernel: { s: 'MklNameChangeOp' }, is_filter_const: { b: true } } : {}),
    });
  };
  return {
    conv: (x, param, stride, relu) => fusedConv(x, param, stride, relu ? ['BiasAdd', 'Relu'] : ['BiasAdd']),
    convAddRelu: (x, param, stride, residual) => fusedConv(x, param, stride, ['BiasAdd', 'Add', 'Relu'], residual),
    add: (a, b) => g.node('AddV2', 'add', [a, b], { T }),
    relu: (x) => g.node('Relu', 'relu', [x], { T }),
    maxPool3x3s2(x) {
      const padded = g.node('Pad', 'pool/pad', [x, g.constInt('pool/paddings', [0, 0, 1, 1, 1, 1, 0, 0], [4, 2])], { T, Tpaddings: { type: DT_INT32 } });
      return g.node('MaxPool', 'pool', [padded], { T, ksize: { ints: [1, 3, 3, 1] }, strides: { ints: [1, 2, 2, 1] }, padding: { s: 'VALID' }, data_format: NHWC });
    },
    // TensorFlow's ResizeNearestNeighbor (align_corners and half_pixel_centers false) indexes
    // min(floor(dst * float(in / out)), in - 1): PyTorch's nearest, as layers.ts upsampleNearest.
    upsampleTo: (x, like) => g.node('ResizeNearestNeighbor', 'upsample', [x, slice(shapeOf(like), 1, 3, `${like}/hw`)], { T, align_corners: { b: false }, half_pixel_centers: { b: false } }),
    groupNorm(x, param, groups) {
      const channels = p.get(`${param}.weight`).shape[0];
      x = g.cast(x, dtype, DT_FLOAT);
      const shape = shapeOf(x, F32);
      const nhw = slice(shape, 0, 3, `${param}/nhw`);
      const gShape = g.node('ConcatV2', `${param}/gshape`, [nhw, g.constInt('c', [groups, channels / groups]), g.constInt('axis', [0], [])], { T: { type: DT_INT32 }, N: { i: 2 }, Tidx: { type: DT_INT32 } });
      const grouped = g.node('Reshape', `${param}/grouped`, [x, gShape], { T: F32, Tshape: { type: DT_INT32 } });
      const axes = g.constInt('axes', [1, 2, 4]);
      const mean = g.node('Mean', `${param}/mean`, [grouped, axes], { T: F32, Tidx: { type: DT_INT32 }, keep_dims: { b: true } });
      const centered = g.node('Sub', `${param}/centered`, [grouped, mean], { T: F32 });
      const variance = g.node('Mean', `${param}/variance`, [g.node('Square', `${param}/sq`, [centered], { T: F32 }), axes], { T: F32, Tidx: { type: DT_INT32 }, keep_dims: { b: true } });
      const eps = g.constFloat('eps', [], Float32Array.of(1e-5));
      const std = g.node('Sqrt', `${param}/std`, [g.node('AddV2', `${param}/var_eps`, [variance, eps], { T: F32 })], { T: F32 });
      const normed = g.node('Reshape', `${param}/normed`, [g.node('RealDiv', `${param}/div`, [centered, std], { T: F32 }), shape], { T: F32, Tshape: { type: DT_INT32 } });
      const scaled = g.node('Mul', `${param}/gamma`, [normed, weight(`${param}.weight`, DT_FLOAT)], { T: F32 });
      return g.cast(g.node('AddV2', `${param}/beta`, [scaled, weight(`${param}.bias`, DT_FLOAT)], { T: F32 }), DT_FLOAT, dtype);
    },
    has: (name) => p.has(name),
    scope: (f) => f(),
    release: () => undefined,
  };
}
