// The project's root folder (models/, config/, assets/, .native/): the nearest folder above this file whose
// package.json is retinastream's. The same from the TypeScript sources (src/) and from the compiled package
// (dist/src/), where a fixed number of '..' would land in dist/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'retinastream') return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export const PROJECT_ROOT = findRoot();
