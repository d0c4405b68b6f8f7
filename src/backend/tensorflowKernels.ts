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

function assertNhwc(dataFormat: unknown, kernel: string): void {
  if (dataFormat !== 'NHWC') throw new Error(`${kernel} on the tensorflow backend: data format ${String(dataFormat)} is not supported (only NHWC)`);
}

function conv2DBackpropInput({ inputs, backend, attrs }: { inputs: Record<string, TensorInfo>; backend: unknown; attrs: NamedAttrMap }): TensorInfo {
  const { dy, filter } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as {
    strides: [number, number];
    pad: Parameters<typeof backend_util.computeConv2DInfo>[4];
    dataFormat: string;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    inputShape: [number, number, number, number];
  };
  assertNhwc(dataFormat, 'Conv2DBackpropInput');
  const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const b = backend as TfBackend;
  const sizes = tf.tensor1d(info.inShape, 'int32');
  try {
    return b.executeSingleOutput('Conv2DBackpropInput', convAttrs(b.binding, info), [sizes, filter, dy]);
  } finally {
    sizes.dispose();
  }
}

function conv2DBackpropFilter({ inputs, backend, attrs }: { inputs: Record<string, TensorInfo>; backend: unknown; attrs: NamedAttrMap }): TensorInfo {
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
    strides: [number, number];
    pad: Parameters<typeof backend_util.computeConv2DInfo>[4];
    dataFormat: string;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  assertNhwc(dataFormat, 'Conv2DBackpropFilter');
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const b = backend as TfBackend;
  const sizes = tf.tensor1d(info.filterShape, 'int32');
  try {
    return b.executeSingleOutput('Conv2DBackpropFilter', convAttrs(b.binding, info), [x, sizes, dy]);
  } finally {
    sizes.dispose();
  }
}

const KERNELS: KernelConfig[] = [
  { kernelName: 'Conv2DBackpropInput', backendName: 'tensorflow', kernelFunc: conv2DBackpropInput as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'Conv2DBackpropFilter', backendName: 'tensorflow', kernelFunc: conv2DBackpropFilter as unknown as KernelConfig['kernelFunc'] },
];

/** Replaces tfjs-node's kernels above with ours (idempotent). */
export function registerTensorflowKernels(): void {
  for (const k of KERNELS) {
    if (tf.getKernel(k.kernelName, 'tensorflow')?.kernelFunc === k.kernelFunc) continue;
    if (tf.getKernel(k.kernelName, 'tensorflow') != null) tf.unregisterKernel(k.kernelName, 'tensorflow');
    tf.registerKernel(k);
  }
}
