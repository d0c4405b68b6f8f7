// `--model DIR|NAME`: a model directory, a cached model, or a zoo name pulled (with a progress bar) on first use.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cachedModelDir } from './cache.ts';
import { ZooError } from './errors.ts';
import { progressBar } from './progress.ts';
import { pullModel } from './pull.ts';
import { findZooEntry, ZOO } from './registry.ts';

export async function resolveModel(arg: string, opts: { env?: NodeJS.ProcessEnv; flag?: string } = {}): Promise<string> {
  const env = opts.env ?? process.env;
  if (existsSync(join(arg, 'model.json')) || arg.includes('/') || arg.includes('\\') || arg.startsWith('.')) return arg;
  const cached = cachedModelDir(arg, env);
  if (cached) return cached;
  const entry = findZooEntry(arg);
  if (!entry) {
    if (existsSync(arg)) return arg; // a directory without model.json: the loader says what is missing
    throw new ZooError('RS_ERR_ZOO_UNKNOWN', `${opts.flag ?? '--model'}: "${arg}" is neither a model directory nor a zoo model (zoo: ${ZOO.map((e) => e.name).join(', ')})`);
  }
  const bar = progressBar(`${entry.name}`);
  try {
    return await pullModel(entry, { env, onProgress: bar.update, log: (l) => process.stderr.write(`${l}\n`) });
  } finally {
    bar.end();
  }
}
