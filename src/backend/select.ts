// Picks the compute backend at run time: TensorFlow with a GPU (tfjs-node-gpu, stock or built by
// `npm run setup:native -- --gpu`), then TensorFlow on the CPU (tfjs-node, stock or built by `npm run
// setup:native`), then wasm (SIMD), then the plain JS cpu backend. `--backend` / RETINASTREAM_BACKEND overrides.
// A missing or broken native build is skipped with a one-line note; forcing it fails with one line saying how
// to install it.
import * as tf from '@tensorflow/tfjs-core';
import { loadNativeAddon, type NativeAddon } from './nativeAddon.ts';
import { registerTensorflowKernels } from './tensorflowKernels.ts';
import { cpuBf16, parsePrecision, sealPrecision, setPrecisionBeforeLoad, type Precision } from './precision.ts';
import { RetinaStreamError } from '../errors.ts';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_ORDER: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendChoice {
  name: BackendName;
  /** tfjs's own name of the backend ('tensorflow', 'wasm', 'cpu'). */
  tfName: string;
  /** Why earlier candidates were skipped. */
  notes: string[];
  /** wasm: whether SIMD is in use. */
  simd?: boolean;
  /** tensorflow backends: the TensorFlow library in use. */
  native?: NativeAddon & { onednn: boolean };
  /** Compute precision asked for (bf16 only on the tensorflow backends). */
  precision: Precision;
  /** bf16 asked for, but this CPU has no bf16 instructions: oneDNN emulates them. */
  precisionNote?: string;
}

export interface BackendOptions {
  /** 'fp32' (default) or 'bf16' (TensorFlow backends; oneDNN fpmath mode). */
  precision?: Precision;
}

let chosen: BackendChoice | null = null;

const NATIVE_HINT = 'Build it with `npm run setup:native` (GPU: `npm run setup:native -- --gpu`), or install the stock @tensorflow/tfjs-node(-gpu) package';

function tryNative(gpu: boolean, precision: Precision): string | null {
  setPrecisionBeforeLoad(precision);
  const addon = loadNativeAddon(gpu);
  if (typeof addon === 'string') return `${gpu ? 'tensorflow-gpu' : 'tensorflow'}: ${addon}`;
  if (gpu && !addon.usingGpu) return 'tensorflow-gpu: the GPU build loaded but TensorFlow sees no GPU';
  return null;
}

/**
 * Emscripten's Node glue installs uncaughtException/unhandledRejection handlers that rethrow, so that
 * any later error prints the whole minified wasm glue as its "source line". Remove what it added.
 */
async function importWithoutCrashHandlers(pkg: string): Promise<void> {
  const events = ['uncaughtException', 'unhandledRejection'] as const;
  const listeners = (e: (typeof events)[number]) => process.listeners(e as 'uncaughtException') as unknown[];
  const before = events.map((e) => new Set(listeners(e)));
  await import(pkg);
  await tf.setBackend('wasm').catch(() => false); // the glue registers its handlers when the module starts
  events.forEach((e, i) => {
    for (const l of listeners(e)) if (!before[i].has(l)) process.removeListener(e, l as (...a: unknown[]) => void);
  });
}

async function activate(name: BackendName, notes: string[], precision: Precision): Promise<boolean> {
  if (isNative(name)) {
    const why = tryNative(name === 'tensorflow-gpu', precision);
    if (why) {
      notes.push(why);
      return false;
    }
    const ok = await tf.setBackend('tensorflow');
    if (ok) {
      registerTensorflowKernels();
      sealPrecision();
    }
    return ok;
  }
  if (name === 'wasm') {
    await importWithoutCrashHandlers('@tensorflow/tfjs-backend-wasm');
    const ok = await tf.setBackend('wasm').catch((e: Error) => {
      notes.push(`wasm: ${e.message}`);
      return false;
    });
    if (ok) return true;
    notes.push('wasm: failed to initialise');
    return false;
  }
  await import('@tensorflow/tfjs-backend-cpu');
  return tf.setBackend('cpu');
}

function isNative(name: BackendName): boolean {
  return name === 'tensorflow' || name === 'tensorflow-gpu';
}

/**
 * Select (once per process) and initialise the backend; `preferred` (or RETINASTREAM_BACKEND) forces one,
 * `opts.precision` (or RETINASTREAM_PRECISION) picks fp32/bf16.
 */
export async function selectBackend(preferred?: string, opts: BackendOptions = {}): Promise<BackendChoice> {
  const want = preferred ?? process.env.RETINASTREAM_BACKEND;
  const precision = opts.precision ?? parsePrecision(process.env.RETINASTREAM_PRECISION, 'RETINASTREAM_PRECISION');
  if (chosen && (!want || want === chosen.name)) {
    if (precision !== chosen.precision && isNative(chosen.name)) {
      throw new RetinaStreamError('RS_ERR_PRECISION', `--precision: ${precision} asked for, but TensorFlow already runs at ${chosen.precision} in this process (it is fixed when TensorFlow loads)`);
    }
    return chosen;
  }
  if (want && !BACKEND_ORDER.includes(want as BackendName)) {
    throw new RetinaStreamError('RS_ERR_BACKEND', `--backend: unknown backend "${want}", expected one of ${BACKEND_ORDER.join(', ')}`);
  }
  if (precision === 'bf16' && want && !isNative(want as BackendName)) {
    throw new RetinaStreamError('RS_ERR_PRECISION', `--precision: bf16 runs on the tensorflow backends only, not on ${want}`);
  }
  const notes: string[] = [];
  const order = want ? [want as BackendName] : BACKEND_ORDER;
  for (const name of order) {
    if (precision === 'bf16' && !isNative(name)) {
      notes.push(`${name}: no bf16`);
      continue;
    }
    if (await activate(name, notes, precision)) {
      await tf.ready();
      chosen = { name, tfName: tf.getBackend(), notes, precision, ...details(name, precision) };
      return chosen;
    }
  }
  const hint = want && isNative(want as BackendName) && notes.some((n) => /not installed|missing/.test(n)) ? ` ${NATIVE_HINT}` : '';
  throw new RetinaStreamError('RS_ERR_BACKEND', `--backend: could not initialise ${want ?? 'any backend'} (${notes.join('; ')}).${hint}`);
}

function details(name: BackendName, precision: Precision): Partial<BackendChoice> {
  if (name === 'wasm') return { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') };
  if (!isNative(name)) return {};
  const addon = loadNativeAddon(name === 'tensorflow-gpu') as NativeAddon;
  const onednn = process.env.TF_ENABLE_ONEDNN_OPTS !== '0';
  const out: Partial<BackendChoice> = { native: { ...addon, onednn } };
  if (precision === 'bf16' && !addon.usingGpu && !cpuBf16()) {
    out.precisionNote = 'bf16 asked for, but this CPU has no bf16 instructions (AVX512_BF16 or AMX): slower than fp32';
  }
  return out;
}

/** e.g. "tensorflow 2.21.0 (oneDNN, CPU, fp32, built)", "wasm (SIMD)". */
export function describeBackend(c: BackendChoice): string {
  if (c.name === 'wasm') return `wasm${c.simd ? ' (SIMD)' : ' (no SIMD)'}`;
  if (!c.native) return c.name;
  const n = c.native;
  const device = n.usingGpu ? 'GPU' : `CPU${n.onednn ? ', oneDNN' : ''}`;
  const note = c.precisionNote ? `; ${c.precisionNote}` : '';
  return `${c.name} ${n.tfVersion} (${device}, ${c.precision}, ${n.source === 'built' ? 'built by setup:native' : 'npm package'}${n.gpu && !n.usingGpu ? ', GPU build on the CPU' : ''}${note})`;
}
