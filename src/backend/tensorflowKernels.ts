// Kernels of the TensorFlow backend (tfjs-node) that refuse what the model needs, replaced by ones that run
// TensorFlow's own ops with the right attributes.
//  * Conv2DBackpropInput / Conv2DBackpropFilter (training): tfjs-node accepts only 'valid'/'same' padding;
//    PyTorch's symmetric padding is explicit padding (layers.ts), which TensorFlow's ops take as
//    padding = "EXPLICIT" + explicit_paddings. (tfjs-node's forward Conv2D/FusedConv2D already pass it.)
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

const { backend_util } = tf;

interface TfBinding {
  TF_ATTR_INT: number;
  TF_ATTR_STRING: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number;
  TF_FLOAT: number;
}
interface TfBackend {
  binding: TfBinding;
  executeSingleOutput(name: string, attrs: { name: string; type: number; value: unknown }[], inputs: TensorInfo[]): TensorInfo;
}

type ConvInfo = ReturnType<typeof backend_util.computeConv2DInfo>;

/** The attributes TensorFlow's Conv2D* ops share, with explicit padding when the padding is explicit. */
function convAttrs(b: TfBinding, info: ConvInfo) {
  const p = info.padInfo;
  const padding = p.type === 'VALID' || p.type === 'SAME' ? p.type : 'EXPLICIT';
  const attrs = [
    { name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: 'strides', type: b.TF_ATTR_INT, value: [1, info.strideHeight, info.strideWidth, 1] },
    { name: 'padding', type: b.TF_ATTR_STRING, value: padding },
    { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'use_cudnn_on_gpu', type: b.TF_ATTR_BOOL, value: true },
    { name: 'dilations', type: b.TF_ATTR_INT, value: [1, info.dilationHeight, info.dilationWidth, 1] },
  ];
  if (padding === 'EXPLICIT') attrs.push({ name: 'explicit_paddings', type: b.TF_ATTR_INT, value: [0, 0, p.top, p.bottom, p.left, p.right, 0, 0] });
  return attrs;
}

type Shape4 = [number, number, number, number];
interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: unknown;
  attrs: NamedAttrMap;
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
    const b = backend as TfBackend;
    const sizes = tf.tensor1d(which === 'Input' ? info.inShape : info.filterShape, 'int32');
    try {
      const args = which === 'Input' ? [sizes, inputs.filter, inputs.dy] : [inputs.x, sizes, inputs.dy];
      return b.executeSingleOutput(`Conv2DBackprop${which}`, convAttrs(b.binding, info), args);
    } finally {
      sizes.dispose();
    }
  };
}

const KERNELS: KernelConfig[] = [
  { kernelName: 'Conv2DBackpropInput', backendName: 'tensorflow', kernelFunc: conv2DBackprop('Input') as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'Conv2DBackpropFilter', backendName: 'tensorflow', kernelFunc: conv2DBackprop('Filter') as unknown as KernelConfig['kernelFunc'] },
];

/** Replaces tfjs-node's kernels above with ours (idempotent). */
export function registerTensorflowKernels(): void {
  for (const k of KERNELS) {
    if (tf.getKernel(k.kernelName, 'tensorflow') != null) tf.unregisterKernel(k.kernelName, 'tensorflow');
    tf.registerKernel(k);
  }
}
