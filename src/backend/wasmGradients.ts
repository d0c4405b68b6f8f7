// Makes autodiff (training) work on the tfjs-core node bundle and the wasm backend.
//
// Three gaps, found by running a small RetinaNet-shaped training step (conv stack, max pool, nearest 2x
// upsample, relu, sigmoid, focal loss, GIoU/L1 box loss) on wasm and cpu:
//  1. `@tensorflow/tfjs-core`'s node bundle (dist/tf-core.node.js) registers no gradient functions at all
//     (the `@tensorflow/tfjs` umbrella adds them with `register_all_gradients`, which is not installed), so
//     every backward pass fails with "gradient function not found for Sum". We register the gradient
//     functions the training graph needs (same math as tfjs-core's src/gradients/*_grad.ts), only for
//     kernels that have none yet, so a full tfjs install keeps its own.
//  2. The wasm backend has no Conv2DBackpropFilter (the weight gradient of every conv, fused or not) and no
//     UnsortedSegmentSum (gradient of gather). We register both for wasm, composed from wasm kernels
//     (pad, strided slice, batched matmul on XNNPACK; one-hot + matmul) rather than JS loops.
//  3. tfjs-backend-cpu's ResizeNearestNeighborGrad is wrong for batch > 1 (reads dy at the input's batch
//     stride); we replace it on cpu. wasm's own kernel is correct.
// Everything else the graph needs backward (Conv2DBackpropInput, MaxPoolGrad, AvgPoolGrad,
// ResizeNearestNeighborGrad, ResizeBilinearGrad, Step, Select, ...) is native on wasm.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, NamedAttrMap, Tensor, TensorInfo, KernelBackend } from '@tensorflow/tfjs-core';
import { composeWasm } from './composer.ts';

const { backend_util } = tf;

// ---------------------------------------------------------------------------------------------------------
// 1. Gradient functions (backend independent)
// ---------------------------------------------------------------------------------------------------------

/** Sums a broadcast gradient back down to the operand's shape. */
function unbroadcast(dy: Tensor, shape: number[], outShape: number[]): Tensor {
  const axes = backend_util.getReductionAxes(shape, outShape);
  return tf.reshape(axes.length > 0 ? tf.sum(dy, axes) : dy, shape);
}

function binary(name: string, da: (dy: Tensor, a: Tensor, b: Tensor) => Tensor, db: (dy: Tensor, a: Tensor, b: Tensor) => Tensor): GradConfig {
  return {
    kernelName: name,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const out = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      return {
        a: () => unbroadcast(da(dy as Tensor, a, b), a.shape, out),
        b: () => unbroadcast(db(dy as Tensor, a, b), b.shape, out),
      };
    },
  };
}

/** Gradient of y = f(x) given as dx = g(dy, x, y). */
function unary(name: string, g: (dy: Tensor, x: Tensor, y: Tensor) => Tensor, save: 'x' | 'y' | 'both' = 'x'): GradConfig {
  return {
    kernelName: name,
    inputsToSave: save === 'y' ? [] : ['x'],
    outputsToSave: save === 'x' ? [] : [true],
    gradFunc: (dy, saved) => {
      const x = save === 'y' ? (undefined as unknown as Tensor) : saved[0];
      const y = save === 'x' ? (undefined as unknown as Tensor) : saved[save === 'y' ? 0 : 1];
      return { x: () => g(dy as Tensor, x, y) };
    },
  };
}

/** Gradient zero everywhere (piecewise-constant ops and comparisons). */
function zeroGrad(name: string, inputs: string[]): GradConfig {
  return {
    kernelName: name,
    inputsToSave: inputs,
    gradFunc: (_dy, saved) => Object.fromEntries(inputs.map((n, i) => [n, () => tf.zerosLike(tf.cast(saved[i], 'float32'))])),
  };
}

function reduceGrad(name: string, axisAttr: 'axis' | 'reductionIndices', scale: boolean): GradConfig {
  return {
    kernelName: name,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const axes = tf.util.parseAxisParam(attrs[axisAttr] as number | number[], x.shape);
      const keep = x.shape.slice();
      for (const a of axes) keep[a] = 1;
      const n = axes.reduce((p, a) => p * x.shape[a], 1);
      return {
        x: () => {
          const g = tf.mul(tf.reshape(dy as Tensor, keep), tf.ones(x.shape, 'float32'));
          return scale ? tf.div(g, n) : g;
        },
      };
    },
  };
}

function minMaxGrad(name: string, axisAttr: 'axis' | 'reductionIndices'): GradConfig {
  return {
    kernelName: name,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, y] = saved;
      const axes = tf.util.parseAxisParam(attrs[axisAttr] as number | number[], x.shape);
      const shape = y.rank < x.rank ? backend_util.expandShapeToKeepDim(y.shape, axes) : y.shape;
      return { x: () => tf.mul(tf.reshape(dy as Tensor, shape), tf.cast(tf.equal(x, tf.reshape(y, shape)), 'float32')) };
    },
  };
}

function runKernel(name: string, inputs: Record<string, Tensor>, attrs: NamedAttrMap): Tensor {
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs) as Tensor;
}

const GRADIENTS: GradConfig[] = [
  // arithmetic
  binary('Add', (dy) => dy, (dy) => dy),
  binary('Sub', (dy) => dy, (dy) => tf.neg(dy)),
  binary('Multiply', (dy, _a, b) => tf.mul(dy, tf.cast(b, 'float32')), (dy, a) => tf.mul(dy, tf.cast(a, 'float32'))),
  binary('RealDiv', (dy, _a, b) => tf.div(dy, b), (dy, a, b) => tf.neg(tf.div(tf.mul(dy, a), tf.square(b)))),
  binary('Maximum', (dy, a, b) => tf.mul(dy, tf.cast(tf.greaterEqual(a, b), 'float32')), (dy, a, b) => tf.mul(dy, tf.cast(tf.less(a, b), 'float32'))),
  binary('Minimum', (dy, a, b) => tf.mul(dy, tf.cast(tf.lessEqual(a, b), 'float32')), (dy, a, b) => tf.mul(dy, tf.cast(tf.greater(a, b), 'float32'))),
  binary('SquaredDifference', (dy, a, b) => tf.mul(dy, tf.mul(2, tf.sub(a, b))), (dy, a, b) => tf.mul(dy, tf.mul(2, tf.sub(b, a)))),
  binary(
    'Pow',
    (dy, a, b) => tf.mul(dy, tf.mul(b, tf.pow(a, tf.sub(b, 1)))),
    (dy, a, b) => tf.mul(dy, tf.mul(tf.pow(a, b), tf.where(tf.greater(a, 0), tf.log(a), tf.zerosLike(a)))),
  ),
  {
    kernelName: 'AddN',
    saveAllInputs: true,
    gradFunc: (dy, saved) => Object.fromEntries(saved.map((_t, i) => [i, () => (dy as Tensor).clone()])),
  },
  // elementwise
  unary('Neg', (dy) => tf.neg(dy)),
  unary('Abs', (dy, x) => tf.mul(dy, tf.step(tf.cast(x, 'float32'), -1))),
  unary('Exp', (dy, _x, y) => tf.mul(dy, y), 'y'),
  unary('Log', (dy, x) => tf.div(dy, tf.cast(x, 'float32'))),
  unary('Log1p', (dy, x) => tf.div(dy, tf.add(x, 1))),
  unary('Sqrt', (dy, x) => tf.div(dy, tf.mul(tf.sqrt(tf.cast(x, 'float32')), 2))),
  unary('Rsqrt', (dy, x) => tf.neg(tf.div(dy, tf.mul(tf.pow(x, 1.5), 2)))),
  unary('Square', (dy, x) => tf.mul(dy, tf.mul(tf.cast(x, 'float32'), 2))),
  unary('Reciprocal', (dy, x) => tf.neg(tf.div(dy, tf.square(x)))),
  unary('Sigmoid', (dy, _x, y) => tf.mul(dy, tf.mul(y, tf.sub(1, y))), 'y'),
  unary('Tanh', (dy, _x, y) => tf.mul(tf.sub(1, tf.square(y)), dy), 'y'),
  unary('Softplus', (dy, x) => tf.mul(dy, tf.sigmoid(x))),
  unary('Relu', (dy, x) => tf.mul(dy, tf.cast(tf.step(x), 'float32'))),
  unary('Relu6', (dy, x) => tf.mul(dy, tf.cast(tf.mul(tf.lessEqual(x, 6), tf.step(x)), 'float32'))),
  unary('Elu', (dy, _x, y) => runKernel('EluGrad', { dy, y }, {}), 'y'),
  unary('Cast', (dy) => dy.clone()),
  unary('Identity', (dy) => tf.cast(dy, 'float32')),
  {
    kernelName: 'LeakyRelu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => ({ x: () => tf.where(tf.greater(saved[0], 0), dy as Tensor, tf.mul(dy as Tensor, attrs.alpha as number)) }),
  },
  {
    kernelName: 'ClipByValue',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const inside = tf.logicalAnd(tf.greaterEqual(x, attrs.clipValueMin as number), tf.lessEqual(x, attrs.clipValueMax as number));
      return { x: () => tf.where(inside, dy as Tensor, tf.zerosLike(dy as Tensor)) };
    },
  },
  {
    kernelName: 'Select',
    inputsToSave: ['condition'],
    gradFunc: (dy, saved) => {
      const [c] = saved;
      return {
        condition: () => tf.zerosLike(tf.cast(c, 'float32')),
        t: () => tf.mul(dy as Tensor, tf.cast(c, 'float32')),
        e: () => tf.mul(dy as Tensor, tf.cast(tf.logicalNot(c), 'float32')),
      };
    },
  },
  ...['Step', 'Floor', 'Ceil', 'Round', 'Sign', 'ZerosLike', 'OnesLike', 'IsNan', 'IsInf', 'IsFinite', 'LogicalNot'].map((n) => zeroGrad(n, ['x'])),
  ...['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr', 'FloorDiv'].map((n) => zeroGrad(n, ['a', 'b'])),
  // reductions
  reduceGrad('Sum', 'axis', false),
  reduceGrad('Mean', 'axis', true),
  minMaxGrad('Max', 'reductionIndices'),
  minMaxGrad('Min', 'axis'),
  // shape
  { kernelName: 'Reshape', inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => tf.reshape(dy as Tensor, saved[0].shape) }) },
  { kernelName: 'ExpandDims', inputsToSave: ['input'], gradFunc: (dy, saved) => ({ input: () => tf.reshape(dy as Tensor, saved[0].shape) }) },
  {
    kernelName: 'Transpose',
    gradFunc: (dy, _saved, attrs) => ({ x: () => tf.transpose(dy as Tensor, backend_util.getUndoAxesPermutation(attrs.perm as number[])) }),
  },
  {
    kernelName: 'Concat',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const axis = tf.util.parseAxisParam(attrs.axis as number, saved[0].shape)[0];
      const parts = tf.split(dy as Tensor, saved.map((t) => t.shape[axis]), axis);
      return Object.fromEntries(parts.map((p, i) => [i, () => p]));
    },
  },
  {
    kernelName: 'Pack',
    saveAllInputs: true,
    gradFunc: (dy, _saved, attrs) => Object.fromEntries(tf.unstack(dy as Tensor, attrs.axis as number).map((p, i) => [i, () => p])),
  },
  { kernelName: 'Reverse', gradFunc: (dy, _saved, attrs) => ({ x: () => tf.reverse(dy as Tensor, attrs.dims as number[]) }) },
  { kernelName: 'Unpack', gradFunc: (dy, _saved, attrs) => ({ value: () => tf.stack(dy as Tensor[], attrs.axis as number) }) },
  { kernelName: 'SplitV', gradFunc: (dy, _saved, attrs) => ({ x: () => tf.concat(dy as Tensor[], attrs.axis as number) }) },
  {
    kernelName: 'Slice',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin as number[], attrs.size as number[]);
      return { x: () => tf.pad(dy as Tensor, x.shape.map((s, i) => [begin[i], s - begin[i] - size[i]] as [number, number])) };
    },
  },
  {
    kernelName: 'PadV2',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => ({ x: () => tf.slice(dy as Tensor, (attrs.paddings as [number, number][]).map((p) => p[0]), saved[0].shape) }),
  },
  {
    kernelName: 'Tile',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      // dy has shape reps[i] * x.shape[i]; split each axis into (reps, size) and sum over the reps axes.
      const [x] = saved;
      const reps = attrs.reps as number[];
      const split = x.shape.flatMap((s, i) => [reps[i], s]);
      return { x: () => tf.sum(tf.reshape(dy as Tensor, split), reps.map((_r, i) => 2 * i)) };
    },
  },
  {
    kernelName: 'GatherV2',
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, saved, attrs) => {
      const [x, indices] = saved;
      if ((attrs.batchDims as number) > 0) throw new Error('gather gradient: batchDims > 0 is not supported');
      const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
      return {
        x: () => {
          const outer = x.shape.slice(0, axis);
          const inner = x.shape.slice(axis + 1);
          const values = tf.reshape(dy as Tensor, [...outer, indices.size, ...inner]);
          const perm = [outer.length, ...outer.map((_s, i) => i), ...inner.map((_s, i) => outer.length + 1 + i)];
          const seg = tf.unsortedSegmentSum(tf.transpose(values, perm), tf.reshape(indices, [indices.size]) as tf.Tensor1D, x.shape[axis]);
          return tf.transpose(seg, backend_util.getUndoAxesPermutation(perm));
        },
        indices: () => tf.zerosLike(tf.cast(indices, 'float32')),
      };
    },
  },
  {
    // y = (x - mean) * rsqrt(variance + eps) * scale + offset (frozen or not), parameters broadcast over x.
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved;
      const d = dy as Tensor;
      const s = tf.rsqrt(tf.add(variance, attrs.varianceEpsilon as number));
      const sc = scale ?? tf.scalar(1);
      const centered = tf.sub(x, mean);
      return {
        x: () => tf.mul(tf.mul(d, s), sc),
        mean: () => unbroadcast(tf.neg(tf.mul(tf.mul(d, s), sc)), mean.shape, x.shape),
        variance: () => unbroadcast(tf.mul(tf.mul(tf.mul(d, sc), centered), tf.mul(tf.pow(s, 3), -0.5)), variance.shape, x.shape),
        scale: () => unbroadcast(tf.mul(d, tf.mul(centered, s)), sc.shape, x.shape),
        offset: () => unbroadcast(d, mean.shape, x.shape),
      };
    },
  },
  // linear algebra and images
  {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const d = dy as Tensor;
      const ta = attrs.transposeA as boolean;
      const tb = attrs.transposeB as boolean;
      if (!ta && !tb) return { a: () => tf.matMul(d, b, false, true), b: () => tf.matMul(a, d, true, false) };
      if (!ta && tb) return { a: () => tf.matMul(d, b, false, false), b: () => tf.matMul(d, a, true, false) };
      if (ta && !tb) return { a: () => tf.matMul(b, d, false, true), b: () => tf.matMul(a, d, false, false) };
      return { a: () => tf.matMul(b, d, true, true), b: () => tf.matMul(d, a, true, true) };
    },
  },
  {
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved;
      const { strides, pad, dataFormat, dimRoundingMode, dilations } = attrs as unknown as tf.Conv2DAttrs;
      if (!backend_util.tupleValuesAreOne(dilations)) throw new Error(`conv2d gradient: dilations ${dilations} are not supported (only 1)`);
      return {
        x: () => runKernel('Conv2DBackpropInput', { dy: dy as Tensor, filter }, { strides, pad, dataFormat, dimRoundingMode, inputShape: x.shape } as unknown as NamedAttrMap),
        filter: () => runKernel('Conv2DBackpropFilter', { x, dy: dy as Tensor }, { strides, pad, dataFormat, dimRoundingMode, filterShape: filter.shape } as unknown as NamedAttrMap),
      };
    },
  },
  {
    kernelName: 'Conv2DBackpropInput',
    inputsToSave: ['dy', 'filter'],
    gradFunc: (ddx, saved, attrs) => {
      const [dy, filter] = saved;
      const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
      return {
        dy: () => tf.conv2d(ddx as tf.Tensor4D, filter as tf.Tensor4D, strides, pad, dataFormat, 1, dimRoundingMode),
        filter: () => runKernel('Conv2DBackpropFilter', { x: ddx as Tensor, dy }, { strides, pad, dataFormat, dimRoundingMode, filterShape: filter.shape } as unknown as NamedAttrMap),
      };
    },
  },
  {
    kernelName: 'MaxPool',
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, y] = saved;
      const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolAttrs;
      return { x: () => runKernel('MaxPoolGrad', { dy: dy as Tensor, input: x, output: y }, { filterSize, strides, pad, dimRoundingMode } as unknown as NamedAttrMap) };
    },
  },
  {
    kernelName: 'AvgPool',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.AvgPoolAttrs;
      return { x: () => runKernel('AvgPoolGrad', { dy: dy as Tensor, input: saved[0] }, { filterSize, strides, pad, dimRoundingMode } as unknown as NamedAttrMap) };
    },
  },
  {
    kernelName: 'ResizeNearestNeighbor',
    inputsToSave: ['images'],
    gradFunc: (dy, saved, attrs) => ({ images: () => runKernel('ResizeNearestNeighborGrad', { dy: dy as Tensor, images: saved[0] }, attrs) }),
  },
  {
    kernelName: 'ResizeBilinear',
    inputsToSave: ['images'],
    gradFunc: (dy, saved, attrs) => ({ images: () => runKernel('ResizeBilinearGrad', { dy: dy as Tensor, images: saved[0] }, attrs) }),
  },
];

let gradientsRegistered = false;

/** Registers the gradient functions above for kernels that have none (idempotent). */
export function registerCoreGradients(): void {
  if (gradientsRegistered) return;
  for (const g of GRADIENTS) if (tf.getGradient(g.kernelName) == null) tf.registerGradient(g);
  gradientsRegistered = true;
}

// ---------------------------------------------------------------------------------------------------------
// 2. Kernels the wasm backend lacks, composed from wasm kernels
// ---------------------------------------------------------------------------------------------------------

/**
 * dW[kh, kw, ci, co] = sum over (n, oh, ow) of xPadded[n, oh*s + kh*d, ow*s + kw*d, ci] * dy[n, oh, ow, co]:
 * per filter tap, a strided slice of the padded input ([N*OH*OW, Ci]) transposed times dy ([N*OH*OW, Co]).
 * Same flops as im2col + one matmul, but only one tap's patch matrix is alive at a time (im2col would
 * hold KH*KW copies of the input: ~300 MB for a 3x3 conv on P3 of two 800x1333 images).
 */
function conv2DBackpropFilterWasm({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat !== undefined && dataFormat !== 'NHWC') throw new Error(`wasm Conv2DBackpropFilter: dataFormat ${dataFormat} is not supported (NHWC only)`);
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { batchSize: n, outHeight: oh, outWidth: ow, inChannels: ci, outChannels: co, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const dilH = info.dilationHeight;
  const dilW = info.dilationWidth;
  return composeWasm(backend, (c) => {
    // Pad so every tap's strided window lies inside; extra rows/cols past the window are never read.
    const needH = (oh - 1) * sh + (kh - 1) * dilH + 1;
    const needW = (ow - 1) * sw + (kw - 1) * dilW + 1;
    const padBottom = Math.max(0, needH - padInfo.top - x.shape[1]);
    const padRight = Math.max(0, needW - padInfo.left - x.shape[2]);
    const xp = padInfo.top || padInfo.left || padBottom || padRight
      ? c.run('PadV2', { x }, { paddings: [[0, 0], [padInfo.top, padBottom], [padInfo.left, padRight], [0, 0]], constantValue: 0 })
      : x;
    const dy2 = c.run('Reshape', { x: dy }, { shape: [n * oh * ow, co] });
    const taps: TensorInfo[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const begin = [0, i * dilH, j * dilW, 0];
        const end = [n, i * dilH + (oh - 1) * sh + 1, j * dilW + (ow - 1) * sw + 1, ci];
        const slice = c.run('StridedSlice', { x: xp }, { begin, end, strides: [1, sh, sw, 1], beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 });
        const patches = c.run('Reshape', { x: slice }, { shape: [n * oh * ow, ci] });
        taps.push(c.run('BatchMatMul', { a: patches, b: dy2 }, { transposeA: true, transposeB: false })); // [Ci, Co]
        c.free(patches, slice);
      }
    }
    const dw = taps.length === 1 ? taps[0] : c.run('Concat', taps, { axis: 0 }); // [KH*KW*Ci, Co]
    return c.run('Reshape', { x: dw }, { shape: [kh, kw, ci, co] });
  });
}

/** out[s, ...] = sum of data rows whose segment id is s: one_hot(ids)^T x data, on XNNPACK's matmul. */
function unsortedSegmentSumWasm({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const numSegments = attrs.numSegments as number;
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(segmentIds.shape.length);
  const cols = inner.reduce((a, b) => a * b, 1);
  return composeWasm(backend, (c) => {
    const ids = c.run('Reshape', { x: segmentIds }, { shape: [rows] });
    const idsInt = ids.dtype === 'int32' ? ids : c.run('Cast', { x: ids }, { dtype: 'int32' });
    // wasm's OneHot writes int32 whatever dtype is asked for.
    const oneHot = c.run('OneHot', { indices: idsInt }, { depth: numSegments, onValue: 1, offValue: 0, dtype: 'int32' });
    const oneHotF = c.run('Cast', { x: oneHot }, { dtype: 'float32' });
    const oh3 = c.run('Reshape', { x: oneHotF }, { shape: [1, rows, numSegments] });
    const xf = x.dtype === 'float32' ? x : c.run('Cast', { x }, { dtype: 'float32' });
    const x3 = c.run('Reshape', { x: xf }, { shape: [1, rows, cols] });
    const prod = c.run('BatchMatMul', { a: oh3, b: x3 }, { transposeA: true, transposeB: false });
    return c.run('Reshape', { x: prod }, { shape: [numSegments, ...inner] });
  });
}

const WASM_KERNELS: KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilterWasm as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSumWasm as unknown as KernelConfig['kernelFunc'] },
];

// ---------------------------------------------------------------------------------------------------------
// 3. A cpu-backend kernel with a wrong gradient
// ---------------------------------------------------------------------------------------------------------

/**
 * tfjs-backend-cpu 4.22's ResizeNearestNeighborGrad offsets dy by the *input's* batch stride, so every image
 * after the first gets the wrong gradient (the FPN's top-down 2x upsample, batch > 1). This replacement
 * walks dy once and adds each value to the input pixel the forward pass read it from (same index
 * arithmetic as the cpu forward kernel, including alignCorners and halfPixelCenters).
 */
function resizeNearestNeighborGradCpu({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const { images, dy } = inputs as { images: TensorInfo; dy: TensorInfo };
  const alignCorners = attrs.alignCorners as boolean;
  const halfPixelCenters = attrs.halfPixelCenters as boolean;
  const [batch, inH, inW, depth] = images.shape;
  const [, outH, outW] = dy.shape;
  const dyValues = backend.readSync(dy.dataId) as Float32Array;
  const out = new Float32Array(batch * inH * inW * depth);
  const ratio = (inSize: number, outSize: number) => ((alignCorners && outSize > 1 ? inSize - 1 : inSize) / (alignCorners && outSize > 1 ? outSize - 1 : outSize));
  const source = (i: number, r: number, inSize: number) => {
    const frac = halfPixelCenters ? r * (i + 0.5) : r * i;
    const nearest = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    return halfPixelCenters ? Math.max(0, nearest) : nearest;
  };
  const rowRatio = ratio(inH, outH);
  const colRatio = ratio(inW, outW);
  const srcCol = Array.from({ length: outW }, (_v, x) => source(x, colRatio, inW));
  let k = 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < outH; y++) {
      const rowBase = (b * inH + source(y, rowRatio, inH)) * inW;
      for (let x = 0; x < outW; x++) {
        const base = (rowBase + srcCol[x]) * depth;
        for (let d = 0; d < depth; d++) out[base + d] += dyValues[k++];
      }
    }
  }
  return (backend as unknown as { makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TensorInfo }).makeTensorInfo(images.shape, 'float32', out);
}

let wasmKernelsRegistered = false;
let cpuFixesRegistered = false;

/** Replaces tfjs-backend-cpu kernels whose gradients are wrong (see above). Idempotent. */
export function registerCpuGradientFixes(): void {
  if (cpuFixesRegistered) return;
  if (tf.getKernel('ResizeNearestNeighborGrad', 'cpu') != null) tf.unregisterKernel('ResizeNearestNeighborGrad', 'cpu');
  tf.registerKernel({ kernelName: 'ResizeNearestNeighborGrad', backendName: 'cpu', kernelFunc: resizeNearestNeighborGradCpu as unknown as KernelConfig['kernelFunc'] });
  cpuFixesRegistered = true;
}

/**
 * Makes training work on wasm (and, for the gradient functions and the cpu fix, on cpu): registers the
 * missing gradient functions, the cpu ResizeNearestNeighborGrad fix and the wasm kernels above, skipping
 * any gradient or wasm kernel a later tfjs version provides. Idempotent; call it once before the first
 * `tf.variableGrads` / `tf.grads`.
 */
export function registerWasmGradients(): void {
  registerCoreGradients();
  registerCpuGradientFixes();
  if (wasmKernelsRegistered) return;
  for (const k of WASM_KERNELS) if (tf.getKernel(k.kernelName, 'wasm') == null) tf.registerKernel(k);
  wasmKernelsRegistered = true;
}
