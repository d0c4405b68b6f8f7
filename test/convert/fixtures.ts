// Builds the checkpoint fixtures once with Debian's python3-torchvision (see
// scripts/setup/python-torchvision.sh) and caches them in .cache/convert-fixtures/<script hash>/.
// They are large (~1.3 GB of random-init RetinaNets) and never committed.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, 'fixtures', 'make_checkpoints.py');
const cacheRoot = resolve(here, '..', '..', '.cache', 'convert-fixtures');
const PYTHON = process.env.RS_PYTHON ?? '/usr/bin/python3';

let dir: string | undefined;

/** Directory holding the generated fixtures (see fixtures/make_checkpoints.py for what each file is). */
export function fixtureDir(): string {
  if (dir) return dir;
  const hash = createHash('sha256').update(readFileSync(script)).digest('hex').slice(0, 12);
  const target = join(cacheRoot, hash);
  if (!existsSync(join(target, '.complete'))) {
    mkdirSync(cacheRoot, { recursive: true });
    for (const old of readdirSync(cacheRoot)) rmSync(join(cacheRoot, old), { recursive: true, force: true }); // stale versions
    const tmp = `${target}.tmp-${process.pid}`;
    const res = spawnSync(PYTHON, [script, tmp], { encoding: 'utf8', timeout: 600_000 });
    if (res.status !== 0) {
      throw new Error(
        `fixture generation failed (${PYTHON} ${script}): ${res.error?.message ?? res.stderr.trim().split('\n').slice(-3).join(' | ')}; ` +
          'install python3-torchvision with scripts/setup/python-torchvision.sh',
      );
    }
    writeFileSync(join(tmp, '.complete'), hash);
    renameSync(tmp, target);
  }
  dir = target;
  return dir;
}

export function fixture(name: string): string {
  return join(fixtureDir(), name);
}
