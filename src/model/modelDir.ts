// A model is a directory: `model.json` (ModelConfig) + `weights.safetensors` (canonical weights).
// The sha256 of the weights file identifies the model version.
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultModelConfig, validateModelConfig, type ModelConfig } from './config.ts';
import { readSafetensors, writeSafetensors, type TensorMap } from './weights/safetensors.ts';
import { RetinaStreamError } from '../errors.ts';

export const CONFIG_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.safetensors';

export class ModelDirError extends RetinaStreamError<'RS_ERR_MODEL_DIR'> {
  constructor(message: string) {
    super('RS_ERR_MODEL_DIR', message);
  }
}

export interface LoadedModel {
  dir: string;
  config: ModelConfig;
  weights: TensorMap;
  /** 'sha256:' + first 16 hex digits of the weights file's sha256. */
  hash: string;
}

export function weightsHash(bytes: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

export async function loadModelDir(dir: string): Promise<LoadedModel> {
  const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (!isDir) throw new ModelDirError(`${dir}: model directory not found (expected ${CONFIG_FILE} and ${WEIGHTS_FILE} inside)`);
  const cfgPath = join(dir, CONFIG_FILE);
  const wPath = join(dir, WEIGHTS_FILE);
  const cfgText = await readFile(cfgPath, 'utf8').catch(() => {
    throw new ModelDirError(`${cfgPath}: missing model config`);
  });
  let raw: unknown;
  try {
    raw = JSON.parse(cfgText);
  } catch (e) {
    throw new ModelDirError(`${cfgPath}: not valid JSON (${(e as Error).message})`);
  }
  const config = validateModelConfig(defaultModelConfig(raw as Partial<ModelConfig>), cfgPath);
  const bytes = await readFile(wPath).catch(() => {
    throw new ModelDirError(`${wPath}: missing weights file`);
  });
  const { tensors } = readSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), wPath);
  return { dir, config, weights: tensors, hash: weightsHash(bytes) };
}

/** Saves a model directory; `dtype: 'F16'` halves the weights file (they are read back as float32). */
export async function saveModelDir(dir: string, config: ModelConfig, weights: TensorMap, opts: { dtype?: 'F32' | 'F16' } = {}): Promise<string> {
  validateModelConfig(config);
  await mkdir(dir, { recursive: true });
  const bytes = writeSafetensors(weights, { format: 'pt', producer: 'retinastream' }, opts.dtype ?? 'F32');
  await writeFile(join(dir, WEIGHTS_FILE), bytes);
  await writeFile(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
  return weightsHash(bytes);
}
