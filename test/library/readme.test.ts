// The README's library example, run as written: the package is compiled (npm run build's tsc) into a temporary
// package directory, installed into a temporary app as node_modules/retinastream, and the example runs from the
// repository root with plain node. `import ... from 'retinastream'` goes through package.json's `exports`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../helpers/media.ts';
import { REPO } from '../cli/cliProcess.ts';

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
  });
}

/** The first ```js block of the README's "### Library API" section. */
export function readmeExample(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Library API'));
  const m = /```js\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'a ```js block in the Library API section');
  return m[1];
}

describe('README library example', () => {
  const tmp = tempDir('rs-readme-lib-');
  after(() => tmp.cleanup());

  it('runs as written against the built package and exits by itself', { timeout: 300_000 }, async () => {
    const pkg = join(tmp.dir, 'pkg');
    const app = join(tmp.dir, 'app');
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    mkdirSync(pkg);
    copyFileSync(join(REPO, 'package.json'), join(pkg, 'package.json'));
    for (const d of ['node_modules', 'models', 'assets', 'config', 'schema']) symlinkSync(join(REPO, d), join(pkg, d));
    // the native TensorFlow build of this checkout (npm run setup:native), which the package finds beside it
    if (existsSync(join(REPO, '.native'))) symlinkSync(join(REPO, '.native'), join(pkg, '.native'));
    const tsc = await run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(REPO, 'tsconfig.json'), '--outDir', join(pkg, 'dist')], REPO, 240_000);
    assert.equal(tsc.code, 0, tsc.out + tsc.err);
    symlinkSync(pkg, join(app, 'node_modules', 'retinastream'));
    const example = join(app, 'example.mjs');
    const code = readmeExample();
    assert.match(code, /from 'retinastream'/);
    writeFileSync(example, code);
    const r = await run(process.execPath, [example], REPO, 240_000);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    assert.match(lines[0], /^\d+ detections on a grey image$/);
    assert.equal(lines.at(-1), '150 frames', 'every frame of the 150-frame demo video');
  });
});
