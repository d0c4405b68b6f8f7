// Where converted zoo models live: $RETINASTREAM_MODELS_DIR, else $XDG_CACHE_HOME/retinastream/models, else
// ~/.cache/retinastream/models. One directory per model name (model.json + weights.safetensors + zoo.json);
// partial downloads in downloads/ (resumed), never mistaken for a model.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { userCacheDir } from '../cacheDir.ts';
import type { ZooEntry } from './registry.ts';

export function modelsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RETINASTREAM_MODELS_DIR) return env.RETINASTREAM_MODELS_DIR;
  return join(userCacheDir(env), 'models');
}

/** zoo.json: where a cached model came from. */
export interface CachedInfo {
  entry: ZooEntry;
  digest: string;
  bytes: number;
  pulledAt: string;
}

export function cachedModelDir(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = join(modelsCacheDir(env), name);
  return existsSync(join(dir, 'zoo.json')) && existsSync(join(dir, 'model.json')) ? dir : null;
}

export function cachedModels(env: NodeJS.ProcessEnv = process.env): Array<CachedInfo & { dir: string }> {
  const root = modelsCacheDir(env);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((n) => cachedModelDir(n, env))
    .filter((d): d is string => d !== null)
    .map((dir) => ({ dir, ...(JSON.parse(readFileSync(join(dir, 'zoo.json'), 'utf8')) as CachedInfo) }));
}
