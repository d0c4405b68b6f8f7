// Faster convolution gradients on wasm, both written as one forward convolution so they run on XNNPACK:
//   dx = conv(dilate(dy, stride) padded by (k - 1 - pad), filter flipped spatially with in/out swapped);
//   dW = conv(x^T as [Ci, H, W, N], dy^T as a filter [OH, OW, N, Co], dilation = stride) -> [Ci, KH, KW, Co].
// The wasm backend's own Conv2DBackpropInput is a scalar loop and the per-tap composition registered by
// src/backend/wasmGradients.ts runs a BatchMatMul per tap; on a ResNet-18 RetinaNet step these two took
// ~95% of the time (10x the forward pass). Anything outside the handled cases (dilated convs, NCHW,
// negative padding) falls back to the kernel that was registered before.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { composeWasm, type WasmComposer } from '../../backend/composer.ts';

const { backend_util } = tf;
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: KernelBackend; attrs: NamedAttrMap };
type KernelFn = (args: KernelArgs) => TensorInfo;

/** Zeros between the rows and columns of [N, H, W, C] (stride - 1 of them), trailing ones included. */
function dilate(c: WasmComposer, t: TensorInfo, sh: number, sw: number): TensorInfo {
  if (sh === 1 && sw === 1) return t;
  const [n, h, w, ch] = t.shape;
  const r = c.run('Reshape', { x: t }, { shape: [n, h, 1, w, 1, ch] });
  const p = c.run('PadV2', { x: r }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
  return c.run('Reshape', { x: p }, { shape: [n, h * sh, w * sw, ch] });
}

/** Pads (non-negative amounts) or crops (negative) the H and W axes of an NHWC tensor. */
function padOrCrop(c: WasmComposer, t: TensorInfo, top: number, bottom: number, left: number, right: number): TensorInfo {
  let x = t;
  const crop = [top, bottom, left, right].map((v) => Math.max(0, -v));
  if (crop.some((v) => v > 0)) {
    const [n, h, w, ch] = x.shape;
    x = c.run('Slice', { x }, { begin: [0, crop[0], crop[2], 0], size: [n, h - crop[0] - crop[1], w - crop[2] - crop[3], ch] });
  }
  const pad = [top, bottom, left, right].map((v) => Math.max(0, v));
  if (pad.some((v) => v > 0)) x = c.run('PadV2', { x }, { paddings: [[0, 0], [pad[0], pad[1]], [pad[2], pad[3]], [0, 0]], constantValue: 0 });
  return x;
}

function conv2dInfo(xShape: number[], filterShape: number[], attrs: NamedAttrMap) {
  const { strides, pad, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  return backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, 'channelsLast');
}

function handled(attrs: NamedAttrMap): boolean {
  const df = (attrs as { dataFormat?: string }).dataFormat;
  return df === undefined || df === 'NHWC' || df === 'channelsLast';
}

function backpropInput(fallback: KernelFn | undefined): KernelFn {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const inputShape = (attrs as unknown as tf.Conv2DBackpropInputAttrs).inputShape as number[];
    const info = conv2dInfo(inputShape, filter.shape, attrs);
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo, inHeight: H, inWidth: W } = info;
    if (!handled(attrs) || info.dilationHeight !== 1 || info.dilationWidth !== 1) {
      if (!fallback) throw new Error('wasm Conv2DBackpropInput: unsupported attributes and no fallback kernel');
      return fallback(args);
    }
    return composeWasm(backend, (c) => {
      const d = dilate(c, dy, sh, sw); // [N, OH*sh, OW*sw, Co]
      const top = kh - 1 - padInfo.top;
      const left = kw - 1 - padInfo.left;
      const bottom = H + kh - 1 - d.shape[1] - top;
      const right = W + kw - 1 - d.shape[2] - left;
      const xin = padOrCrop(c, d, top, bottom, left, right);
      const flipped = c.run('Reverse', { x: filter }, { dims: [0, 1] });
      const wT = c.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }); // [KH, KW, Co, Ci]
      return c.run('Conv2D', { x: xin, filter: wT }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined });
    });
  };
}

function backpropFilter(fallback: KernelFn | undefined): KernelFn {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const filterShape = (attrs as unknown as tf.Conv2DBackpropFilterAttrs).filterShape as number[];
    const info = conv2dInfo(x.shape, filterShape, attrs);
    const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo, inHeight: H, inWidth: W } = info;
    if (!handled(attrs) || info.dilationHeight !== 1 || info.dilationWidth !== 1) {
      if (!fallback) throw new Error('wasm Conv2DBackpropFilter: unsupported attributes and no fallback kernel');
      return fallback(args);
    }
    return composeWasm(backend, (c) => {
      // Rows of the padded input the convolution reads: (OH - 1) * stride + KH.
      const needH = (oh - 1) * sh + kh;
      const needW = (ow - 1) * sw + kw;
      const xp = padOrCrop(c, x, padInfo.top, needH - H - padInfo.top, padInfo.left, needW - W - padInfo.left);
      const xT = c.run('Transpose', { x: xp }, { perm: [3, 1, 2, 0] }); // [Ci, needH, needW, N]
      const dyT = c.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [OH, OW, N, Co]
      const out = c.run('Conv2D', { x: xT, filter: dyT }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [sh, sw], dimRoundingMode: undefined }); // [Ci, KH, KW, Co]
      return c.run('Transpose', { x: out }, { perm: [1, 2, 0, 3] });
    });
  };
}

let registered = false;

/** Replaces the wasm Conv2DBackpropInput/Filter kernels (after registerWasmGradients). Idempotent. */
export function registerFastWasmConvBackprop(): void {
  if (registered) return;
  for (const [name, make] of [
    ['Conv2DBackpropInput', backpropInput],
    ['Conv2DBackpropFilter', backpropFilter],
  ] as const) {
    const old = tf.getKernel(name, 'wasm');
    const fallback = old ? (old.kernelFunc as unknown as KernelFn) : undefined;
    if (old) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: make(fallback) as unknown as KernelConfig['kernelFunc'] });
  }
  registered = true;
}
