// The model a pipeline benchmark runs: the one given, else the bundled demo model, else a random-weight
// RetinaNet generated into a temp dir (speed does not depend on the weights, only on the architecture).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModelConfig, type Depth } from '../model/config.ts';
import { benchWeights } from '../model/init.ts';
import { saveModelDir } from '../model/modelDir.ts';

export interface BenchModel {
  dir: string;
  /** given: --model; demo: models/demo; generated: random weights in a temp dir. */
  origin: 'given' | 'demo' | 'generated';
  /** Removes a generated model (no-op otherwise). */
  cleanup(): void;
}

export interface BenchModelOptions {
  /** --model DIR. */
  modelDir?: string;
  /** Looked at when no model is given. */
  demoDir: string;
  /** Architecture of a generated model: backbone depth (default 18), convs per head (default 1; the
   *  paper's 4 make the heads cost more than the backbone), classes (default 20). */
  depth?: Depth;
  headConvs?: number;
  numClasses?: number;
  /** Input policy of a generated model: [width, height] of the canvas it is meant for. */
  canvas: [number, number];
}

export async function resolveBenchModel(o: BenchModelOptions): Promise<BenchModel> {
  if (o.modelDir) return { dir: o.modelDir, origin: 'given', cleanup: () => undefined };
  if (existsSync(join(o.demoDir, 'model.json'))) return { dir: o.demoDir, origin: 'demo', cleanup: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), 'rs-bench-model-'));
  const [w, h] = o.canvas;
  const depth = o.depth ?? 18;
  const headConvs = o.headConvs ?? 1;
  const config = defaultModelConfig({
    name: `bench_random_r${depth}_h${headConvs}`,
    numClasses: o.numClasses ?? 20,
    backbone: { depth },
    head: { numConvs: headConvs },
    input: { minSize: Math.min(w, h), maxSize: Math.max(w, h) },
  });
  await saveModelDir(dir, config, benchWeights(config, 0));
  return { dir, origin: 'generated', cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
