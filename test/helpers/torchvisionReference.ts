// Builds (once, cached under .cache/) the torchvision reference: seeded random-weight RetinaNets saved as
// .pth, test images, and torchvision's own detections, by running tools/reference/make_tv_models.py with
// Debian's python3-torchvision. Without torchvision, tests skip locally and fail on CI.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';
const ROOT = join(import.meta.dirname, '..', '..');

export function torchvisionAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torchvision'], { stdio: 'ignore' }).status === 0;
}

/** Skip reason for node:test, or false; on CI a missing torchvision is an error. */
export function torchvisionSkip(): string | false {
  if (torchvisionAvailable()) return false;
  if (process.env.CI) throw new Error(`${PYTHON} cannot import torchvision: run scripts/setup/python-torchvision.sh`);
  return 'python3-torchvision not installed (scripts/setup/python-torchvision.sh)';
}

export interface TvDetections {
  width: number;
  height: number;
  transformed_size: [number, number];
  padded_size: [number, number];
  boxes: number[][];
  scores: number[];
  labels: number[];
}

export interface TvReference {
  dir: string;
  settings: Record<string, unknown> & { min_size: number; max_size: number };
  images: Record<string, TvDetections>;
  batched?: { padded_batch_size: [number, number]; images: Record<string, TvDetections> };
}

/** Generate (if needed) and load the reference (torchvision in float32) for one version at one input size. */
export function torchvisionReference(version: 'v1' | 'v2', minSize: number, maxSize: number): TvReference {
  const script = join(ROOT, 'tools', 'reference', 'make_tv_models.py');
  const hash = createHash('sha256');
  for (const f of ['make_tv_models.py', 'tv_models.py', 'synthetic_images.py']) hash.update(readFileSync(join(ROOT, 'tools', 'reference', f)));
  const stamp = hash.digest('hex').slice(0, 8);
  const dir = join(ROOT, '.cache', `tv-reference-${minSize}-${maxSize}-${stamp}`);
  const file = join(dir, `tv_${version}_detections.json`);
  if (!existsSync(file)) {
    const r = spawnSync(PYTHON, [script, '--out', dir, '--min-size', String(minSize), '--max-size', String(maxSize), '--versions', version, '--no-f64'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make_tv_models.py failed: ${r.stderr}`);
  }
  return { dir, ...(JSON.parse(readFileSync(file, 'utf8')) as Omit<TvReference, 'dir'>) };
}
