// models pull: download (resumable) -> verify the checksum -> convert -> cache. A checksum mismatch or a failed
// conversion leaves nothing in the cache (the partial download is deleted too); an interrupted download is kept
// and resumed by the next pull.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { convertCheckpoint } from '../convert/index.ts';
import { defaultModelConfig } from '../model/config.ts';
import { saveModelDir } from '../model/modelDir.ts';
import { cachedModelDir, modelsCacheDir, type CachedInfo } from './cache.ts';
import { downloadResumable, type Progress } from './download.ts';
import { ZooError } from './errors.ts';
import { mirrored, type HashAlgorithm, type ZooEntry } from './registry.ts';

export interface PullOptions {
  env?: NodeJS.ProcessEnv;
  /** Download and convert again even if cached. */
  force?: boolean;
  onProgress?: Progress;
  log?: (line: string) => void;
}

export const MODEL_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function fileDigest(file: string, algorithm: HashAlgorithm): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash(algorithm);
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** Pulls `entry` into the cache (unless there already) and returns its model directory. */
export async function pullModel(entry: ZooEntry, o: PullOptions = {}): Promise<string> {
  const env = o.env ?? process.env;
  const log = o.log ?? (() => undefined);
  if (!MODEL_NAME_RE.test(entry.name)) throw new ZooError('RS_ERR_ZOO_ARGS', `model name "${entry.name}" must be 1-64 of A-Z a-z 0-9 . _ - (not starting with . _ -)`);
  const expected = entry.checksum.hex.toLowerCase();
  if (!/^[0-9a-f]{6,}$/.test(expected)) throw new ZooError('RS_ERR_ZOO_ARGS', `${entry.name}: checksum "${entry.checksum.hex}" is not 6 or more hex digits`);
  const root = modelsCacheDir(env);
  const dir = join(root, entry.name);
  const cached = cachedModelDir(entry.name, env);
  if (cached && !o.force) return cached;

  const url = mirrored(entry.url, env.RETINASTREAM_MODELS_MIRROR);
  const downloads = join(root, 'downloads');
  mkdirSync(downloads, { recursive: true });
  const ext = extname(new URL(url).pathname) || (entry.from === 'torchvision' ? '.pth' : '.pkl');
  const part = join(downloads, `${entry.name}${ext}.part`);
  log(`${entry.name}: ${existsSync(part) ? 'resuming' : 'downloading'} ${url} (weights licence: ${entry.licence})`);
  const bytes = await downloadResumable(url, part, o.onProgress).catch((e: Error) => {
    throw e instanceof ZooError ? new ZooError(e.code, `${entry.name}: ${e.message}`) : e;
  });
  const digest = await fileDigest(part, entry.checksum.algorithm);
  if (!digest.startsWith(expected)) {
    rmSync(part, { force: true });
    throw new ZooError(
      'RS_ERR_ZOO_CHECKSUM',
      `${entry.name}: checksum mismatch for ${url}: ${entry.checksum.algorithm} ${digest.slice(0, Math.max(12, expected.length))}..., expected ${expected}...; the download was deleted and nothing was cached`,
    );
  }
  const checkpoint = join(downloads, `${entry.name}${ext}`);
  renameSync(part, checkpoint);
  log(`${entry.name}: ${entry.checksum.algorithm} ${digest.slice(0, 16)}... verified; converting (${entry.from})`);
  const tmp = join(root, `.${entry.name}.tmp-${process.pid}`);
  try {
    const converted = await convertCheckpoint(entry.from, checkpoint).catch((e: Error) => {
      throw new ZooError('RS_ERR_ZOO_CONVERT', `${entry.name}: ${url} did not convert: ${e.message.split('\n')[0]}`);
    });
    const config = defaultModelConfig(converted.config);
    config.name = entry.name;
    rmSync(tmp, { recursive: true, force: true });
    await saveModelDir(tmp, config, converted.tensors);
    const info: CachedInfo = { entry, digest: `${entry.checksum.algorithm}:${digest}`, bytes, pulledAt: new Date().toISOString() };
    writeFileSync(join(tmp, 'zoo.json'), JSON.stringify(info, null, 2) + '\n');
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(checkpoint, { force: true }); // the converted directory is what is kept
  }
  log(`${entry.name}: cached in ${dir}`);
  return dir;
}
