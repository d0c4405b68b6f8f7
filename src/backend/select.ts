// Picks the compute backend at run time: tfjs-node-gpu (when installed and it sees a GPU), then tfjs-node,
// then wasm (SIMD), then the plain JS cpu backend. `--backend` / RETINASTREAM_BACKEND overrides.
// The tfjs-node packages are optional dependencies: their install downloads libtensorflow, which fails
// offline, so a missing or broken one is skipped with a note, never an error.
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';

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
}

const require = createRequire(import.meta.url);
let chosen: BackendChoice | null = null;

async function tryTfjsNode(gpu: boolean): Promise<string | null> {
  const pkg = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  try {
    // tfjs-node bundles its own tfjs-core; registering its backend makes it visible to ours only when
    // both resolve to the same core, which npm dedupes when the versions match (4.22.0 here).
    const m = require(pkg) as { version?: Record<string, string> };
    void m;
    if (!tf.findBackend('tensorflow')) return `${pkg}: loaded but did not register a backend with this tfjs-core`;
    if (gpu) {
      const devices = (tf.backend() as unknown as { binding?: { isUsingGpuDevice?: () => boolean } }).binding;
      if (devices?.isUsingGpuDevice && !devices.isUsingGpuDevice()) return `${pkg}: no GPU visible`;
    }
    return null;
  } catch (e) {
    return `${pkg}: not available (${String((e as Error).message).split('\n')[0]})`;
  }
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

async function activate(name: BackendName, notes: string[]): Promise<boolean> {
  if (name === 'tensorflow-gpu' || name === 'tensorflow') {
    const why = await tryTfjsNode(name === 'tensorflow-gpu');
    if (why) {
      notes.push(why);
      return false;
    }
    return tf.setBackend('tensorflow');
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

/** Select (once per process) and initialise the backend; `preferred` forces one. */
export async function selectBackend(preferred?: string): Promise<BackendChoice> {
  const want = preferred ?? process.env.RETINASTREAM_BACKEND;
  if (chosen && (!want || want === chosen.name)) return chosen;
  if (want && !BACKEND_ORDER.includes(want as BackendName)) {
    throw Object.assign(new Error(`--backend: unknown backend "${want}", expected one of ${BACKEND_ORDER.join(', ')}`), { code: 'RS_ERR_BACKEND' });
  }
  const notes: string[] = [];
  const order = want ? [want as BackendName] : BACKEND_ORDER;
  for (const name of order) {
    if (await activate(name, notes)) {
      await tf.ready();
      chosen = { name, tfName: tf.getBackend(), notes, ...(name === 'wasm' ? { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') } : {}) };
      return chosen;
    }
  }
  throw Object.assign(new Error(`--backend: could not initialise ${want ?? 'any backend'} (${notes.join('; ')})`), { code: 'RS_ERR_BACKEND' });
}

export function describeBackend(c: BackendChoice): string {
  const simd = c.name === 'wasm' ? (c.simd ? ' (SIMD)' : ' (no SIMD)') : '';
  return `${c.name}${simd}`;
}
