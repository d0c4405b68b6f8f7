// Shared by the trainer tests: the wasm backend with training support, a tiny synthetic dataset in a temp
// dir and a tiny model config (ResNet-18, FPN 32 channels, one head conv, 64..96 px inputs).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../../src/backend/select.ts';
import { registerWasmGradients } from '../../../src/backend/wasmGradients.ts';
import { defaultModelConfig, type ModelConfig } from '../../../src/model/config.ts';
import { generateSyntheticDataset } from '../../../src/train/synthetic/dataset.ts';
import { registerFastWasmConvBackprop } from '../../../src/train/trainer/wasmConvBackprop.ts';

/** The wasm backend with the fast conv gradients (for the tests of those). */
export async function wasmForTraining(): Promise<void> {
  await selectBackend('wasm');
  registerWasmGradients();
  registerFastWasmConvBackprop();
}

/**
 * The backend the trainer tests run on: RETINASTREAM_BACKEND (the test runner runs them on wasm and on the
 * native TensorFlow backend), else wasm; with the training support train.ts registers.
 */
export async function backendForTraining(): Promise<void> {
  const choice = await selectBackend(process.env.RETINASTREAM_BACKEND ?? 'wasm');
  registerWasmGradients();
  if (choice.name === 'wasm') registerFastWasmConvBackprop();
}

export async function tinyDataset(count: number, seed = 3): Promise<{ dir: string; annotations: string; images: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rs-trainer-'));
  const paths = await generateSyntheticDataset({ outDir: join(dir, 'data'), count, seed, width: 96, height: 72, maxObjects: 3, minSize: 16, maxSize: 40, format: 'png' });
  return { dir, ...paths };
}

export const CLASS_NAMES = ['__background__', 'circle', 'square', 'triangle', 'star', 'ring', 'cross'];

export function tinyModel(): ModelConfig {
  return defaultModelConfig({
    name: 'tiny',
    numClasses: 7,
    classNames: CLASS_NAMES,
    backbone: { depth: 18 },
    fpn: { channels: 32 },
    head: { numConvs: 1, groupNorm: false },
    anchors: { sizes: [16, 32, 64, 128, 256] },
    input: { minSize: 64, maxSize: 96 },
  });
}
