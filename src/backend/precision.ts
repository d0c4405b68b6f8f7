// Compute precision on the TensorFlow backend: fp32 (default), or bf16. With graph execution (the default) bf16
// writes the network in bfloat16 (graph/graphModel.ts): oneDNN's bf16 kernels, twice fp32's multiply rate on CPUs
// with AVX512_BF16 or AMX. Eager execution gets bf16 from oneDNN's fpmath mode, which lets convolutions and
// matmuls take float32 tensors and compute in bfloat16, but only on CPUs with AMX. oneDNN reads
// ONEDNN_DEFAULT_FPMATH_MODE once, when it creates its first primitive, so the variable is set before TensorFlow
// loads and removed again after a first convolution: child processes (ffmpeg, the torchvision reference, whose
// PyTorch also uses oneDNN) never inherit it.
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { RetinaStreamError } from '../errors.ts';

export type Precision = 'fp32' | 'bf16';
export const PRECISIONS: Precision[] = ['fp32', 'bf16'];
const FPMATH_VAR = 'ONEDNN_DEFAULT_FPMATH_MODE';

export function parsePrecision(v: string | undefined, what = '--precision'): Precision {
  if (v === undefined) return 'fp32';
  if (!PRECISIONS.includes(v as Precision)) {
    throw new RetinaStreamError('RS_ERR_PRECISION', `${what}: unknown precision "${v}", expected one of ${PRECISIONS.join(', ')}`);
  }
  return v as Precision;
}

/** The CPU's bfloat16 instructions (Linux /proc/cpuinfo): AMX, AVX512_BF16 (dot products only), or none. */
export function cpuBf16(): 'amx' | 'avx512_bf16' | null {
  let flags = '';
  try {
    flags = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
  if (/\bamx_bf16\b/.test(flags)) return 'amx';
  return /\bavx512_bf16\b/.test(flags) ? 'avx512_bf16' : null;
}

/** Before TensorFlow loads (main thread): set oneDNN's fpmath mode for the precision asked for. */
export function setPrecisionBeforeLoad(p: Precision): void {
  if (!isMainThread) return; // a worker's process.env is its own copy; the main thread has set it already
  if (p === 'bf16') process.env[FPMATH_VAR] = 'BF16';
  else delete process.env[FPMATH_VAR];
}

/** After TensorFlow loaded: make oneDNN read the mode (one small convolution), then unset the variable. */
export function sealPrecision(): void {
  if (!isMainThread) return;
  tf.tidy(() => tf.conv2d(tf.ones([1, 4, 4, 4]) as tf.Tensor4D, tf.ones([3, 3, 4, 4]) as tf.Tensor4D, 1, 'same').dataSync());
  delete process.env[FPMATH_VAR];
}
