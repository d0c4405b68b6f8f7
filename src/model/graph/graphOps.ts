// The network's operations as TensorFlow graph nodes (NetOps over node names): the same architecture code
// (resnet.ts, fpn.ts, head.ts) that runs eagerly also writes the graph. Weights become Const nodes; the input
// has a dynamic batch and size, so every shape that depends on it is computed in the graph (Shape ops).
import type { Params } from '../params.ts';
import type { NetOps } from '../netOps.ts';
import { DT_FLOAT, DT_INT32, type GraphBuilder, type Ref } from './graphDef.ts';

const T = { type: DT_FLOAT };
const NHWC = { s: 'NHWC' };

export function graphOps(g: GraphBuilder, p: Params): NetOps<Ref> {
  const consts = new Map<string, Ref>(); // weights shared by the levels are one node each
  const weight = (name: string): Ref => {
    let ref = consts.get(name);
    if (!ref) {
      const t = p.get(name);
      ref = g.constFloat(name, t.shape, t.dataSync() as Float32Array);
      consts.set(name, ref);
    }
    return ref;
  };
  const shapeOf = (x: Ref): Ref => g.node('Shape', `${x}/shape`, [x], { T, out_type: { type: DT_INT32 } });
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
  /**
   * One _FusedConv2D node: conv + bias (+ residual add) (+ ReLU), which TensorFlow runs as one oneDNN
   * convolution with post-ops (its graph optimizer would fuse only some of the separate ops).
   */
  const fusedConv = (x: Ref, param: string, stride: number, fusedOps: string[], residual?: Ref): Ref => {
    const pad = (p.get(`${param}.weight`).shape[0] - 1) >> 1;
    const args = residual ? [weight(`${param}.bias`), residual] : [weight(`${param}.bias`)];
    return g.node('_FusedConv2D', param, [x, weight(`${param}.weight`), ...args], {
      T,
      num_args: { i: args.length },
      TArgs: { types: args.map(() => DT_FLOAT) },
      fused_ops: { strings: fusedOps },
      strides: { ints: [1, stride, stride, 1] },
      padding: { s: 'EXPLICIT' },
      explicit_paddings: { ints: [0, 0, pad, pad, pad, pad, 0, 0] },
      data_format: NHWC,
      dilations: { ints: [1, 1, 1, 1] },
      use_cudnn_on_gpu: { b: true },
      epsilon: { f: 0.0001 },
      leakyrelu_alpha: { f: 0.2 },
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
      const shape = shapeOf(x);
      const nhw = slice(shape, 0, 3, `${param}/nhw`);
      const gShape = g.node('ConcatV2', `${param}/gshape`, [nhw, g.constInt('c', [groups, channels / groups]), g.constInt('axis', [0], [])], { T: { type: DT_INT32 }, N: { i: 2 }, Tidx: { type: DT_INT32 } });
      const grouped = g.node('Reshape', `${param}/grouped`, [x, gShape], { T, Tshape: { type: DT_INT32 } });
      const axes = g.constInt('axes', [1, 2, 4]);
      const mean = g.node('Mean', `${param}/mean`, [grouped, axes], { T, Tidx: { type: DT_INT32 }, keep_dims: { b: true } });
      const centered = g.node('Sub', `${param}/centered`, [grouped, mean], { T });
      const variance = g.node('Mean', `${param}/variance`, [g.node('Square', `${param}/sq`, [centered], { T }), axes], { T, Tidx: { type: DT_INT32 }, keep_dims: { b: true } });
      const eps = g.constFloat('eps', [], Float32Array.of(1e-5));
      const std = g.node('Sqrt', `${param}/std`, [g.node('AddV2', `${param}/var_eps`, [variance, eps], { T })], { T });
      const normed = g.node('Reshape', `${param}/normed`, [g.node('RealDiv', `${param}/div`, [centered, std], { T }), shape], { T, Tshape: { type: DT_INT32 } });
      const scaled = g.node('Mul', `${param}/gamma`, [normed, weight(`${param}.weight`)], { T });
      return g.node('AddV2', `${param}/beta`, [scaled, weight(`${param}.bias`)], { T });
    },
    has: (name) => p.has(name),
    scope: (f) => f(),
    release: () => undefined,
  };
}
