// Training config files (config/train/*.json): the Trainer's options as JSON, with the model given as
// overrides of defaultModelConfig() and `out`, the model directory written at the end. Unknown keys, at
// the top level or inside `model`, are rejected with a one-line error naming the key.
import { readFile } from 'node:fs/promises';
import { defaultModelConfig, type ModelConfig } from '../../model/config.ts';
import { resolveTrainerOptions, type TrainerOptions } from './options.ts';
import { TrainerError } from './trainerError.ts';

export interface TrainConfig {
  options: TrainerOptions;
  /** Model directory for the final weights (null: only the checkpoint). */
  out: string | null;
}

const TRAINER_KEYS: (keyof TrainerOptions)[] = [
  'annotations', 'images', 'initFrom', 'zeroInitResidual', 'classNumbering', 'batchSize', 'iterations', 'lr', 'momentum', 'weightDecay',
  'warmupIters', 'warmupFactor', 'milestones', 'lrGamma', 'alpha', 'gamma', 'boxLoss', 'smoothL1Beta', 'normalizer', 'clipGradNorm',
  'seed', 'flipProb', 'checkpointDir', 'checkpointInterval', 'logPath', 'logInterval', 'prefetch',
];
const TOP_KEYS = new Set<string>(['$comment', 'model', 'out', ...TRAINER_KEYS]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Names the first key of `over` that `base` does not have (recursively, arrays are leaves). */
function unknownKey(base: Record<string, unknown>, over: Record<string, unknown>, prefix: string): string | null {
  for (const [k, v] of Object.entries(over)) {
    if (!(k in base)) return `${prefix}${k}`;
    if (isObject(v) && isObject(base[k])) {
      const inner = unknownKey(base[k] as Record<string, unknown>, v, `${prefix}${k}.`);
      if (inner) return inner;
    } else if (isObject(base[k]) && !isObject(v)) {
      return null; // type error, reported by validation below
    }
  }
  return null;
}

/** Parses a training config object (already JSON-decoded); `where` names it in errors. */
export function parseTrainConfig(raw: unknown, where: string): TrainConfig {
  const fail = (msg: string): never => {
    throw new TrainerError('RS_ERR_TRAIN_CONFIG', `${where}: ${msg}`);
  };
  if (!isObject(raw)) fail('top level is not a JSON object');
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj)) if (!TOP_KEYS.has(k)) fail(`unknown key "${k}" (expected one of ${[...TOP_KEYS].filter((x) => x !== '$comment').join(', ')})`);
  for (const k of ['model', 'annotations', 'images', 'iterations']) if (!(k in obj)) fail(`missing key "${k}"`);
  if (!isObject(obj.model)) fail('"model" must be an object of model config overrides');
  const base = defaultModelConfig() as unknown as Record<string, unknown>;
  const bad = unknownKey(base, obj.model as Record<string, unknown>, 'model.');
  if (bad) fail(`unknown key "${bad}"`);
  let model: ModelConfig;
  try {
    model = defaultModelConfig(obj.model as Partial<ModelConfig>);
  } catch (e) {
    return fail((e as Error).message);
  }
  if (obj.out !== undefined && obj.out !== null && typeof obj.out !== 'string') fail(`"out" is ${JSON.stringify(obj.out)}, expected a directory path or null`);
  const options: TrainerOptions = { model } as TrainerOptions;
  for (const k of TRAINER_KEYS) if (k in obj) (options as unknown as Record<string, unknown>)[k] = obj[k];
  try {
    resolveTrainerOptions(options); // validate now, so a bad value is reported before any work starts
  } catch (e) {
    fail((e as Error).message);
  }
  return { options, out: (obj.out as string | undefined) ?? null };
}

export async function loadTrainConfig(path: string): Promise<TrainConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new TrainerError('RS_ERR_TRAIN_CONFIG', `${path}: cannot read training config (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new TrainerError('RS_ERR_TRAIN_CONFIG', `${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseTrainConfig(raw, path);
}
