// Kernels of the TensorFlow backend (tfjs-node) that refuse what the model needs, replaced by ones that run
// TensorFlow's own ops with the right attributes.
//  * Conv2DBackpropInput / Conv2DBackpropFilter (training): tfjs-node accepts only 'valid'/'same' padding;
//    PyTorch's symmetric padding is explicit padding (layers.ts), which TensorFlow's ops take as
//    padding = "EXPLICIT" + explicit_paddings. (tfjs-node's forward Conv2D/FusedConv2D already pass it.)
//    TensorFlow runs the two backprop ops through oneDNN only without "EXPLICIT" padding (its eager oneDNN
//    rewrite skips them), and its own kernels are 2-3x slower (a 3x3 32->32 filter gradient on 4x120x160:
//    46 ms vs 17). So explicit padding becomes "SAME" where the two agree (stride 1, (k-1)/2 on every side),
//    and otherwise the input is padded (filter gradient) or the gradient cropped (input gradient) around a
//    "VALID" op: the same sums, in oneDNN's order.
//  * Step with alpha 0 (the ReLU gradient's mask: 1 where x > 0, else 0, NaN stays NaN): tfjs-node builds it
//    from six ops, two of them tensors of ones and of alpha made in full; four TensorFlow ops give the same
//    values 3-4x faster (10.4 ms -> 2.4-3.4 ms on 4x120x160x32). Other alphas keep tfjs-node's kernel.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { composeWith, type Composer } from './composer.ts';

const { backend_util } = tf;

interface TfBinding {
  TF_ATTR_INT: number;
  TF_ATTR_STRING: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number;
  TF_FLOAT: number;
  TF_INT32: number;
  TF_BOOL: number;
}
interface TfBackend {
  binding: TfBinding;
  executeSingleOutput(name: string, attrs: { name: string; type: number; value: unknown }[], inputs: TensorInfo[]): TensorInfo;
}

/** The type attribute `name` = `dtype`. */
const typeAttr = (b: TfBinding, name: string, dtype: number) => ({ name, type: b.TF_ATTR_TYPE, value: dtype });

type ConvInfo = ReturnType<typeof backend_util.computeConv2DInfo>;
type Padding = 'VALID' | 'SAME';

/**
 * How a backprop op should pad: explicit padding that equals "SAME" (stride 1, an odd kernel, (k-1)/2 on every
 * side) is "SAME"; other explicit padding is "VALID" around an explicit pad (`pads`: [top, bottom, left, right]).
 */
function backpropPadding(info: ConvInfo): { padding: Padding; pads: [number, number, number, number] | null } {
  const p = info.padInfo;
  if (p.type === 'VALID' || p.type === 'SAME') return { padding: p.type, pads: null };
  const pads: [number, number, number, number] = [p.top, p.bottom, p.left, p.right];
  if (pads.every((v) => v === 0)) return { padding: 'VALID', pads: null };
  const half = [(info.filterHeight - 1) / 2, (info.filterHeight - 1) / 2, (info.filterWidth - 1) / 2, (info.filterWidth - 1) / 2];
  const unitStride = info.strideHeight === 1 && info.strideWidth === 1 && info.dilationHeight === 1 && info.dilationWidth === 1;
  if (unitStride && pads.every((v, i) => v === half[i])) return { padding: 'SAME', pads: null };
  return { padding: 'VALID', pads };
}

/** The attributes TensorFlow's Conv2D* ops share. */
function convAttrs(b: TfBinding, info: ConvInfo, padding: Padding) {
  return [
    typeAttr(b, 'T', b.TF_FLOAT),
    { name: 'strides', type: b.TF_ATTR_INT, value: [1, info.strideHeight, info.strideWidth, 1] },
    { name: 'padding', type: b.TF_ATTR_STRING, value: padding },
    { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'use_cudnn_on_gpu', type: b.TF_ATTR_BOOL, value: true },
    { name: 'dilations', type: b.TF_ATTR_INT, value: [1, info.dilationHeight, info.dilationWidth, 1] },
  ];
}

type Shape4 = [number, number, number, number];
interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: unknown;
  attrs: NamedAttrMap;
}

/**
 * Runs TensorFlow ops by name on the tensorflow backend and frees the intermediates it made (the tensorflow
 * counterpart of WasmComposer in composer.ts).
 */
class TfComposer implements Composer {
  private readonly made: TensorInfo[] = [];
  constructor(readonly binding: TfBinding, private readonly backend: TfBackend) {}
  run(name: string, attrs: { name: string; type: number; value: unknown }[], inputs: TensorInfo[]): TensorInfo {
    const out = this.backend.executeSingleOutput(name, attrs, inputs);
    this.made.push(out);
    return out;
  }
  /** A constant input (sizes, paddings, slice bounds, a scalar). */
  constant(values: number | number[] | number[][], dtype: 'int32' | 'float32'): TensorInfo {
    const t = tf.tensor(values, undefined, dtype);
    this.made.push(t);
    return t;
  }
  /** Frees every intermediate except `result`. */
  freeAllBut(result: TensorInfo | undefined): void {
    for (const t of this.made) if (t !== result) (t as tf.Tensor).dispose();
  }
}

/** `body`'s result; the intermediates it made are freed, also when it throws. */
function compose(backend: unknown, body: (c: TfComposer) => TensorInfo): TensorInfo {
  const b = backend as TfBackend;
  return composeWith(new TfComposer(b.binding, b), body);
}

/**
 * Conv2DBackpropInput (dx from dy and the filter) or Conv2DBackpropFilter (dW from x and dy): TensorFlow's op
 * of the same name, whose first/second input is the size of what it computes.
 */
function conv2DBackprop(which: 'Input' | 'Filter') {
  return ({ inputs, backend, attrs }: KernelArgs): TensorInfo => {
    const a = attrs as unknown as { strides: [number, number]; pad: Parameters<typeof backend_util.computeConv2DInfo>[4]; dataFormat: string; dimRoundingMode?: 'floor' | 'round' | 'ceil'; inputShape?: Shape4; filterShape?: Shape4 };
    if (a.dataFormat !== 'NHWC') throw new Error(`Conv2DBackprop${which} on the tensorflow backend: data format ${a.dataFormat} is not supported (only NHWC)`);
    const xShape = which === 'Input' ? a.inputShape! : (inputs.x.shape as Shape4);
    const filterShape = which === 'Input' ? (inputs.filter.shape as Shape4) : a.filterShape!;
    const info = backend_util.computeConv2DInfo(xShape, filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    const { padding, pads } = backpropPadding(info);
    return compose(backend, (c) => {
      const opAttrs = convAttrs(c.binding, info, padding);
      if (which === 'Filter') {
        const x = pads ? padSpatial(c, inputs.x, pads) : inputs.x;
        return c.run('Conv2DBackpropFilter', opAttrs, [x, c.constant(info.filterShape, 'int32'), inputs.dy]);
      }
      const [n, h, w, ch] = info.inShape;
      const padded: Shape4 = pads ? [n, h + pads[0] + pads[1], w + pads[2] + pads[3], ch] : [n, h, w, ch];
      const dx = c.run('Conv2DBackpropInput', opAttrs, [c.constant(padded, 'int32'), inputs.filter, inputs.dy]);
      return pads ? cropSpatial(c, dx, pads, info.inShape) : dx;
    });
  };
}

/** x [N, H, W, C] padded with zeros by [top, bottom, left, right]: TensorFlow's Pad op. */
function padSpatial(c: TfComposer, x: TensorInfo, [top, bottom, left, right]: number[]): TensorInfo {
  const attrs = [typeAttr(c.binding, 'T', c.binding.TF_FLOAT), typeAttr(c.binding, 'Tpaddings', c.binding.TF_INT32)];
  return c.run('Pad', attrs, [x, c.constant([[0, 0], [top, bottom], [left, right], [0, 0]], 'int32')]);
}

/** The [N, H, W, C] window of a padded gradient that the unpadded input had: TensorFlow's Slice op. */
function cropSpatial(c: TfComposer, dx: TensorInfo, [top, , left]: number[], shape: Shape4): TensorInfo {
  const attrs = [typeAttr(c.binding, 'T', c.binding.TF_FLOAT), typeAttr(c.binding, 'Index', c.binding.TF_INT32)];
  return c.run('Slice', attrs, [dx, c.constant([0, top, left, 0], 'int32'), c.constant(shape, 'int32')]);
}

/**
 * Step on float32 with alpha 0: Select(IsNan(x), x, Cast(Greater(x, 0))). Other cases go to `fallback`
 * (tfjs-node's kernel).
 */
function stepKernel(fallback: KernelConfig['kernelFunc']) {
  return (args: KernelArgs): TensorInfo => {
    const { x } = args.inputs;
    if ((args.attrs as { alpha?: number }).alpha !== 0 || x.dtype !== 'float32') return fallback(args as Parameters<KernelConfig['kernelFunc']>[0]) as TensorInfo;
    return compose(args.backend, (c) => {
      const f32 = typeAttr(c.binding, 'T', c.binding.TF_FLOAT);
      const cast = [typeAttr(c.binding, 'SrcT', c.binding.TF_BOOL), typeAttr(c.binding, 'DstT', c.binding.TF_FLOAT), { name: 'Truncate', type: c.binding.TF_ATTR_BOOL, value: false }];
      const nan = c.run('IsNan', [f32], [x]);
      const mask = c.run('Cast', cast, [c.run('Greater', [f32], [x, c.constant(0, 'float32')])]);
      return c.run('Select', [f32], [nan, x, mask]);
    });
  };
}

const KERNELS: KernelConfig[] = [
  { kernelName: 'Conv2DBackpropInput', backendName: 'tensorflow', kernelFunc: conv2DBackprop('Input') as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'Conv2DBackpropFilter', backendName: 'tensorflow', kernelFunc: conv2DBackprop('Filter') as unknown as KernelConfig['kernelFunc'] },
];

/** tfjs-node's Step kernel, kept for the cases ours hands back. */
let tfjsNodeStep: KernelConfig['kernelFunc'] | undefined;

/** Replaces tfjs-node's kernels above with ours (idempotent). */
export function registerTensorflowKernels(): void {
  const step = tf.getKernel('Step', 'tensorflow');
  if (step && !tfjsNodeStep) tfjsNodeStep = step.kernelFunc;
  const kernels = tfjsNodeStep ? [...KERNELS, { kernelName: 'Step', backendName: 'tensorflow', kernelFunc: stepKernel(tfjsNodeStep) as unknown as KernelConfig['kernelFunc'] }] : KERNELS;
  for (const k of kernels) {
    if (tf.getKernel(k.kernelName, 'tensorflow') != null) tf.unregisterKernel(k.kernelName, 'tensorflow');
    tf.registerKernel(k);
  }
}
