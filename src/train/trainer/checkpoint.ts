// Training checkpoints. A checkpoint is a model directory (model.json + weights.safetensors, usable with
// `--model`) plus what a bit-exact resume needs:
//   params.safetensors     the trainable parameters exactly as trained (folded, tfjs layout)
//   optimizer.safetensors  SGD momentum buffers, by parameter name
//   trainer-state.json     iteration, loss normalizer state, and the options the run depends on
// The batch position needs no state: batch `it` is a function of (seed, it) (see batchStream.ts).
// Written to a sibling temp directory and renamed into place, so a crash never leaves half a checkpoint.
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import type { ModelConfig } from '../../model/config.ts';
import { saveModelDir } from '../../model/modelDir.ts';
import { readSafetensors, writeSafetensors, type TensorMap } from '../../model/weights/safetensors.ts';
import type { EmaNormalizerState } from '../losses/normalizer.ts';
import { TrainerError } from './trainerError.ts';

export const STATE_FILE = 'trainer-state.json';
export const PARAMS_FILE = 'params.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
const FORMAT = 'retinastream/train-checkpoint@1';

export interface CheckpointState {
  format: typeof FORMAT;
  /** Completed iterations: training continues at this iteration. */
  iteration: number;
  normalizer: EmaNormalizerState | null;
  /** Options a resumed run must share with the original one (model, data, seed, batch size, loss). */
  fingerprint: Record<string, unknown>;
  savedAt: string;
}

export interface Checkpoint {
  state: CheckpointState;
  params: TensorMap;
  optimizer: TensorMap;
}

export async function saveCheckpoint(dir: string, config: ModelConfig, canonical: TensorMap, ck: Checkpoint): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await saveModelDir(tmp, config, canonical);
  await writeFile(join(tmp, PARAMS_FILE), writeSafetensors(ck.params, { format: 'retinastream-params' }));
  await writeFile(join(tmp, OPTIMIZER_FILE), writeSafetensors(ck.optimizer, { format: 'retinastream-sgd' }));
  await writeFile(join(tmp, STATE_FILE), JSON.stringify(ck.state, null, 2) + '\n');
  const old = join(dirname(dir), `.${basename(dir)}.old-${process.pid}`);
  const exists = await stat(dir).then(() => true, () => false);
  if (exists) await rename(dir, old);
  await rename(tmp, dir);
  if (exists) await rm(old, { recursive: true, force: true });
}

export async function hasCheckpoint(dir: string): Promise<boolean> {
  return stat(join(dir, STATE_FILE)).then((s) => s.isFile(), () => false);
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    const b = await readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new TrainerError('RS_ERR_CHECKPOINT', `${path}: cannot read checkpoint file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const statePath = join(dir, STATE_FILE);
  const text = new TextDecoder().decode(await readBytes(statePath));
  let state: CheckpointState;
  try {
    state = JSON.parse(text) as CheckpointState;
  } catch (e) {
    throw new TrainerError('RS_ERR_CHECKPOINT', `${statePath}: not valid JSON (${(e as Error).message})`);
  }
  if (state.format !== FORMAT) throw new TrainerError('RS_ERR_CHECKPOINT', `${statePath}: format ${JSON.stringify(state.format)} is not "${FORMAT}"`);
  if (!Number.isInteger(state.iteration) || state.iteration < 0) throw new TrainerError('RS_ERR_CHECKPOINT', `${statePath}: iteration ${state.iteration} is not an integer >= 0`);
  const params = readSafetensors(await readBytes(join(dir, PARAMS_FILE)), join(dir, PARAMS_FILE)).tensors;
  const optimizer = readSafetensors(await readBytes(join(dir, OPTIMIZER_FILE)), join(dir, OPTIMIZER_FILE)).tensors;
  return { state, params, optimizer };
}

/** Throws naming the first option that differs between a checkpoint and the resuming run. */
export function checkFingerprint(dir: string, saved: Record<string, unknown>, now: Record<string, unknown>): void {
  for (const key of new Set([...Object.keys(saved), ...Object.keys(now)])) {
    const a = JSON.stringify(saved[key]);
    const b = JSON.stringify(now[key]);
    if (a !== b) throw new TrainerError('RS_ERR_CHECKPOINT', `${dir}: cannot resume, option ${key} was ${a} in the checkpoint and is ${b} now`);
  }
}
