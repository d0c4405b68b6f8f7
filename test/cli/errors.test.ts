// Bad input on the command line: one line on stderr naming the file or flag and the problem, a non-zero
// exit, no stack trace (and the stack with --verbose). Real processes, real (broken) files.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { zipSync } from 'fflate';
import sharp from 'sharp';
import { tempDir } from '../helpers/media.ts';
import { makeTinyModel } from '../helpers/tinyModel.ts';
import { runCli, stderrLines, type CliResult } from './cliProcess.ts';

interface Case {
  name: string;
  args: () => string[];
  /** Every one of these must appear in the error line. */
  names: () => string[];
  problem: RegExp;
  code?: number;
}

function assertOneLineError(r: CliResult, c: Case): void {
  const lines = stderrLines(r);
  assert.ok(r.code !== 0 && r.code !== null, `${c.name}: exit ${r.code}`);
  if (c.code !== undefined) assert.equal(r.code, c.code, `${c.name}: exit code`);
  assert.equal(lines.length, 1, `${c.name}: one stderr line, got:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `${c.name}: no stack trace`);
  for (const n of c.names()) assert.ok(lines[0].includes(n), `${c.name}: "${lines[0]}" names ${n}`);
  assert.match(lines[0], c.problem, `${c.name}: "${lines[0]}" says what is wrong`);
  assert.equal(r.stdout, '', `${c.name}: nothing on stdout`);
}

describe('CLI errors', () => {
  let tmp: { dir: string; cleanup: () => void };
  let model: string;
  const p = (name: string) => join(tmp.dir, name);
  before(async () => {
    tmp = tempDir('rs-cli-errors-');
    model = (await makeTinyModel()).dir;
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 10, g: 200, b: 30 } } }).png().toFile(p('ok.png'));
    // random bytes named .jpg
    let s = 42;
    writeFileSync(p('corrupt.jpg'), Uint8Array.from({ length: 4096 }, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24));
    // a model dir with its config but no weights
    mkdirSync(p('no-weights'));
    copyFileSync(join(model, 'model.json'), p('no-weights/model.json'));
    // a model dir whose weights file was cut short (a failed download)
    mkdirSync(p('truncated-weights'));
    copyFileSync(join(model, 'model.json'), p('truncated-weights/model.json'));
    const weights = readFileSync(join(model, 'weights.safetensors'));
    writeFileSync(p('truncated-weights/weights.safetensors'), weights.subarray(0, Math.floor(weights.length / 3)));
    // a PyTorch zip checkpoint cut in half
    const zip = zipSync({ 'archive/data.pkl': new Uint8Array(4000).fill(0x80), 'archive/data/0': new Uint8Array(60000).fill(1), 'archive/version': new TextEncoder().encode('3\n') }, { level: 0 });
    writeFileSync(p('truncated.pth'), zip.subarray(0, zip.length >> 1));
  });
  after(() => {
    tmp?.cleanup();
    if (model) rmSync(model, { recursive: true, force: true });
  });

  const cases: Case[] = [
    { name: 'missing image', args: () => ['detect', '--model', model, '--json', p('missing.png')], names: () => [p('missing.png')], problem: /not found/ },
    { name: 'corrupt image', args: () => ['detect', '--model', model, '--json', p('corrupt.jpg')], names: () => [p('corrupt.jpg')], problem: /cannot decode/ },
    { name: 'unsupported --out', args: () => ['detect', '--model', model, '--out', p('x.gif'), p('ok.png')], names: () => ['--out', p('x.gif')], problem: /must end in \.jpg, \.png or \.webp/, code: 2 },
    { name: 'unknown flag', args: () => ['detect', '--model', model, '--bogus', p('ok.png')], names: () => ['--bogus'], problem: /unknown option/i, code: 2 },
    { name: 'missing --model', args: () => ['detect', p('ok.png')], names: () => ['--model'], problem: /required/, code: 2 },
    { name: 'model dir without weights', args: () => ['detect', '--model', p('no-weights'), p('ok.png')], names: () => [p('no-weights/weights.safetensors')], problem: /missing/ },
    { name: 'truncated weights', args: () => ['detect', '--model', p('truncated-weights'), p('ok.png')], names: () => [p('truncated-weights/weights.safetensors')], problem: /truncated/ },
    { name: 'convert of a truncated checkpoint', args: () => ['convert', '--from', 'torchvision', p('truncated.pth'), '-o', p('converted')], names: () => [p('truncated.pth')], problem: /truncated/ },
    { name: 'unknown command', args: () => ['detcet'], names: () => ['"detcet"'], problem: /unknown command/, code: 2 },
  ];

  it('each bad input gives one line naming the file or flag, a non-zero exit and no stack', { timeout: 180_000 }, async () => {
    // a few at a time: each is a whole node + tsx start
    for (let i = 0; i < cases.length; i += 3) {
      const batch = cases.slice(i, i + 3);
      const results = await Promise.all(batch.map((c) => runCli(c.args())));
      batch.forEach((c, k) => assertOneLineError(results[k], c));
    }
  });

  it('--verbose adds the stack trace', { timeout: 60_000 }, async () => {
    const r = await runCli(['--verbose', 'detect', '--model', model, p('missing.png')]);
    assert.equal(r.code, 1);
    const lines = stderrLines(r);
    assert.match(lines[0], /missing\.png: image file not found/);
    assert.ok(lines.slice(1).some((l) => /^\s+at .*image\.ts:\d+/.test(l)), `a stack through src/io/image.ts:\n${r.stderr}`);
  });
});
