// `retinastream detect` and `retinastream info` as a user runs them: real processes, a tiny random-weight model.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { parameterShapes } from '../../../src/model/shapes.ts';
import type { ModelConfig } from '../../../src/model/config.ts';
import { tempDir } from '../../helpers/media.ts';
import { makeTinyModel } from '../../helpers/tinyModel.ts';
import { runCli, stderrLines } from '../cliProcess.ts';

interface DetectLine {
  image: string;
  width: number;
  height: number;
  detections: Array<{ box: [number, number, number, number]; score: number; classId: number; label: string }>;
}

/** Blocky pseudo-random RGB (8x8 blocks), so a 2x nearest-neighbour upscale halves back exactly. */
function blocks(width: number, height: number, seed: number): Buffer {
  const data = Buffer.alloc(width * height * 3);
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  const colours = Array.from({ length: Math.ceil(width / 8) * Math.ceil(height / 8) }, () => [rnd(), rnd(), rnd()]);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = colours[Math.floor(y / 8) * Math.ceil(width / 8) + Math.floor(x / 8)];
      data.set(c, (y * width + x) * 3);
    }
  }
  return data;
}

describe('retinastream detect / info', () => {
  let model: { dir: string; config: ModelConfig; hash: string };
  let tmp: { dir: string; cleanup: () => void };
  let small: string; // 160x96: exactly the model's input size (minSize 96, maxSize 160), so not resized
  let large: string; // the same picture at 320x192: resized by exactly 1/2 to the same 160x96 input
  before(async () => {
    tmp = tempDir('rs-cli-detect-');
    model = await makeTinyModel();
    const raw = blocks(160, 96, 3);
    small = join(tmp.dir, 'small.png');
    large = join(tmp.dir, 'large.png');
    await sharp(raw, { raw: { width: 160, height: 96, channels: 3 } }).png().toFile(small);
    await sharp(raw, { raw: { width: 160, height: 96, channels: 3 } }).resize(320, 192, { kernel: 'nearest' }).png().toFile(large);
  });
  after(() => {
    tmp?.cleanup();
    if (model) rmSync(model.dir, { recursive: true, force: true });
  });

  it('--json prints one line per image with image, width, height and detections in source pixels', { timeout: 120_000 }, async () => {
    const r = await runCli(['detect', '--model', model.dir, '--json', small, large]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as DetectLine);
    assert.equal(lines.length, 2);
    assert.deepEqual(lines.map((l) => [l.image, l.width, l.height]), [[small, 160, 96], [large, 320, 192]]);
    for (const l of lines) {
      assert.deepEqual(Object.keys(l).sort(), ['detections', 'height', 'image', 'width']);
      assert.ok(l.detections.length > 0 && l.detections.length <= 20, `${l.detections.length} detections (the model keeps at most 20)`);
      for (const d of l.detections) {
        assert.deepEqual(Object.keys(d).sort(), ['box', 'classId', 'label', 'score']);
        assert.equal(d.label, model.config.classNames[d.classId]);
        assert.ok(d.score > 0.05 && d.score <= 1, `score ${d.score} above the 0.05 threshold`);
        const [x1, y1, x2, y2] = d.box;
        assert.ok(x1 >= 0 && y1 >= 0 && x1 <= x2 && y1 <= y2 && x2 <= l.width && y2 <= l.height, `box ${d.box} inside ${l.width}x${l.height}`);
      }
    }
    // Both images reach the network as the same 160x96 tensor, so the detections are the same ones,
    // and in source pixels the large image's boxes are exactly twice the small image's.
    const [a, b] = lines;
    assert.equal(b.detections.length, a.detections.length);
    a.detections.forEach((d, i) => {
      const e = b.detections[i];
      assert.equal(e.classId, d.classId);
      assert.ok(Math.abs(e.score - d.score) < 1e-5, `score ${e.score} vs ${d.score}`);
      e.box.forEach((v, k) => assert.ok(Math.abs(v - 2 * d.box[k]) < 1e-2, `box ${e.box} is 2 x ${d.box}`));
    });
  });

  it('--out writes the image with the boxes drawn on it', { timeout: 120_000 }, async () => {
    const out = join(tmp.dir, 'annotated.png');
    const r = await runCli(['detect', '--model', model.dir, '--out', out, '--draw-min-score', '0', large]); // the tiny model scores ~0.06
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /large\.png \(320x192\): \d+ detections/);
    const meta = await sharp(out).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 320, 192]);
    const [drawn, source] = await Promise.all([out, large].map((p) => sharp(p).removeAlpha().raw().toBuffer()));
    let changed = 0;
    for (let i = 0; i < source.length; i++) if (drawn[i] !== source[i]) changed++;
    assert.ok(changed > 100, `${changed} bytes differ from the source image (boxes drawn)`);
    // at the default drawing threshold (0.3) none of this model's boxes is drawn
    const plain = join(tmp.dir, 'plain.png');
    const d = await runCli(['detect', '--model', model.dir, '--out', plain, large]);
    assert.equal(d.code, 0, d.stderr);
    assert.ok((await sharp(plain).removeAlpha().raw().toBuffer()).equals(source), 'nothing drawn below 0.3');
  });

  it('info DIR prints the architecture, parameter count and weights hash', { timeout: 120_000 }, async () => {
    const [text, json] = await Promise.all([runCli(['info', model.dir]), runCli(['info', '--json', model.dir])]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^architecture RetinaNet ResNet-18-FPN /m);
    assert.match(text.stdout, /^classes +4: alpha, beta, gamma$/m);
    assert.ok(text.stdout.includes(`weights      ${model.hash}`), text.stdout);
    assert.equal(json.code, 0, json.stderr);
    const info = JSON.parse(json.stdout) as Record<string, unknown>;
    let params = 0;
    for (const [name, shape] of parameterShapes(model.config)) if (!/running_(mean|var)$/.test(name)) params += shape.reduce((a, b) => a * b, 1);
    assert.equal(info.weightsHash, model.hash);
    assert.equal(info.numClasses, 4);
    assert.equal(info.parameters, params);
    assert.equal(stderrLines(json).length, 0);
  });
});
