// Finds and loads tfjs-node's native addon (TensorFlow's C library behind tfjs): either the stock npm package
// (@tensorflow/tfjs-node or -gpu, when a user installed it and its install script fetched libtensorflow), or the
// one `npm run setup:native` builds from PyPI's TensorFlow wheel into .native/cpu or .native/gpu (or
// $RETINASTREAM_NATIVE_DIR). Loading registers the 'tensorflow' backend with this project's tfjs-core.
//
// TF_CPP_MIN_LOG_LEVEL=2 (only if unset) keeps TensorFlow's info logs quiet once it runs; the notices it prints
// while loading are muted by the stdio guard. The precision (oneDNN's fpmath mode) is set by precision.ts.
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../projectRoot.ts';

export interface NativeAddon {
  /** Where it was loaded from. */
  dir: string;
  source: 'stock' | 'built';
  gpu: boolean;
  /** TensorFlow's version (TF_Version()). */
  tfVersion: string;
  /** Whether TensorFlow placed ops on a GPU. */
  usingGpu: boolean;
}

interface Binding {
  TF_Version?: string;
  isUsingGpuDevice?: () => boolean;
}

let loaded: NativeAddon | null = null;

interface StdioGuard {
  mute(): void;
  unmute(): void;
}

/**
 * The stderr guard `setup:native` builds (scripts/setup/native/stdio_guard.c): TensorFlow prints start-up
 * notices from static initializers as it loads, before any log setting applies. Absent: nothing is muted.
 */
function stdioGuard(pkgJson: string): StdioGuard | null {
  const root = PROJECT_ROOT;
  const places = [join(dirname(pkgJson), '..', '..', '..', 'stdio_guard.node'), join(root, '.native', 'cpu', 'stdio_guard.node'), join(root, '.native', 'gpu', 'stdio_guard.node')];
  const file = places.find((f) => existsSync(f));
  if (!file) return null;
  try {
    return createRequire(import.meta.url)(file) as StdioGuard;
  } catch {
    return null;
  }
}

function hasAddon(pkgDir: string): boolean {
  const lib = join(pkgDir, 'lib');
  return existsSync(lib) && readdirSync(lib).some((d) => existsSync(join(lib, d, 'tfjs_binding.node')));
}

/** Folders where a tfjs-node package may be, in the order tried. */
function candidates(gpu: boolean): { pkgJson: string; source: NativeAddon['source'] }[] {
  const name = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  const root = PROJECT_ROOT;
  const out: { pkgJson: string; source: NativeAddon['source'] }[] = [];
  try {
    out.push({ pkgJson: createRequire(join(root, 'package.json')).resolve(`${name}/package.json`), source: 'stock' });
  } catch {
    /* not installed */
  }
  const built = process.env.RETINASTREAM_NATIVE_DIR ?? join(root, '.native', gpu ? 'gpu' : 'cpu');
  out.push({ pkgJson: join(built, 'node_modules', name, 'package.json'), source: 'built' });
  return out;
}

/**
 * Loads the addon (once per thread). Returns why it could not, as one line, instead of throwing: automatic
 * backend selection skips it with that note.
 */
export function loadNativeAddon(gpu: boolean): NativeAddon | string {
  // One TensorFlow per process. The GPU build also runs on the CPU, so it serves a CPU request too.
  if (loaded && (loaded.gpu === gpu || !gpu)) return loaded;
  if (loaded) return 'GPU build: the CPU build is already loaded in this process';
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  const notes: string[] = [];
  for (const c of candidates(gpu)) {
    if (!existsSync(c.pkgJson)) {
      notes.push(`${c.source === 'stock' ? 'npm package' : dirname(c.pkgJson)}: not installed`);
      continue;
    }
    // Requiring a package whose addon is missing would register its kernels and then throw: check first.
    if (!hasAddon(dirname(c.pkgJson))) {
      notes.push(`${dirname(c.pkgJson)}: its native addon (lib/napi-v*/tfjs_binding.node) is missing (its install script did not run)`);
      continue;
    }
    const guard = stdioGuard(c.pkgJson);
    try {
      guard?.mute();
      try {
        createRequire(c.pkgJson)('./dist/index.js');
      } finally {
        guard?.unmute();
      }
      const backend = tf.findBackend('tensorflow') as unknown as { binding?: Binding } | null;
      if (!backend) {
        notes.push(`${dirname(c.pkgJson)}: loaded but registered with another copy of tfjs-core (versions differ)`);
        continue;
      }
      const binding = backend.binding ?? {};
      loaded = {
        dir: dirname(c.pkgJson),
        source: c.source,
        gpu,
        tfVersion: binding.TF_Version ?? 'unknown',
        usingGpu: binding.isUsingGpuDevice?.() ?? false,
      };
      return loaded;
    } catch (e) {
      notes.push(`${dirname(c.pkgJson)}: ${String((e as Error).message).split('\n')[0]}`);
    }
  }
  return notes.join('; ');
}
