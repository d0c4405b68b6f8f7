import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { CocoFile } from '../../../src/train/data/cocoFormat.ts';
import { generateDemoVideo } from '../../../src/train/synthetic/demoVideo.ts';
import { decodeRgbFrames, resolveFfmpeg } from '../../../src/train/synthetic/ffmpeg.ts';
import { renderScene } from '../../../src/train/synthetic/raster.ts';
import { planDemo } from '../../../src/train/synthetic/trajectories.ts';

let dir = '';
after(() => rm(dir, { recursive: true, force: true }));

function mse(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

test('demo video: decoded frame n is rendered frame n, and gt has one image per decoded frame', async () => {
  dir = await mkdtemp(join(tmpdir(), 'rs-demo-'));
  const opts = { outFile: join(dir, 'v.mp4'), gtFile: join(dir, 'v.gt.json'), seconds: 2, fps: 10, width: 192, height: 112, seed: 3 };
  const r = await generateDemoVideo(opts);
  assert.equal(r.frames, 20);
  assert.ok(r.bytes > 1000 && r.bytes < 500_000, `video is ${r.bytes} bytes`);

  const gt = JSON.parse(await readFile(opts.gtFile, 'utf8')) as CocoFile;
  assert.deepEqual(gt.images.map((im) => im.id), [...Array(20).keys()]);
  assert.equal(gt.images[13].file_name, 'frame_000013');
  assert.ok(gt.images.every((im) => im.width === 192 && im.height === 112));
  assert.deepEqual(gt.categories.map((c) => c.name), ['circle', 'square', 'triangle', 'star', 'ring', 'cross']);
  assert.ok(gt.annotations.some((a) => a.iscrowd === 0));
  for (const a of gt.annotations) {
    const [x, y, w, h] = a.bbox;
    assert.ok(x >= 0 && y >= 0 && x + w <= 192.01 && y + h <= 112.01 && w >= 1 && h >= 1, `box ${a.bbox}`);
    assert.equal(a.iscrowd, a.visible_fraction! >= 0.3 && w >= 2 && h >= 2 ? 0 : 1);
  }

  // Frame-exactness: every decoded frame is closest to the rendered frame with the same number.
  const plan = planDemo(opts);
  const rendered = Array.from({ length: plan.frames }, (_, n) => renderScene(plan.sceneAt(n)).rgb);
  const errors: string[] = [];
  const count = await decodeRgbFrames(resolveFfmpeg(), opts.outFile, 192, 112, (n, rgb) => {
    const own = mse(rgb, rendered[n]);
    for (const m of [n - 1, n + 1]) {
      if (m >= 0 && m < rendered.length && mse(rgb, rendered[m]) <= own) errors.push(`decoded frame ${n} is closer to rendered frame ${m}`);
    }
    if (own > 60) errors.push(`decoded frame ${n} differs from rendered frame ${n} (MSE ${own.toFixed(1)})`);
  });
  assert.equal(count, gt.images.length);
  assert.deepEqual(errors, []);
});

test('demo video: odd sizes are rejected before ffmpeg runs', async () => {
  await assert.rejects(
    generateDemoVideo({ outFile: '/nonexistent/v.mp4', gtFile: '/nonexistent/v.json', seconds: 1, fps: 10, width: 191, height: 112, seed: 1 }),
    { code: 'RS_ERR_DEMO_VIDEO', message: /^width: 191/ },
  );
});

test('demo video: an ffmpeg failure is reported as RS_ERR_FFMPEG with its message', async () => {
  const d = await mkdtemp(join(tmpdir(), 'rs-demo-bad-'));
  try {
    // The output path is an existing directory: ffmpeg cannot open it.
    await assert.rejects(
      generateDemoVideo({ outFile: d, gtFile: join(d, 'gt.json'), seconds: 1, fps: 5, width: 64, height: 48, seed: 1 }),
      { code: 'RS_ERR_FFMPEG', message: /^ffmpeg: / },
    );
  } finally {
    await rm(d, { recursive: true, force: true });
  }
});

test('resolveFfmpeg falls back to the @ffmpeg-installer binary when ffmpeg is not on PATH', () => {
  const saved = process.env.PATH;
  process.env.PATH = '';
  try {
    const path = resolveFfmpeg();
    assert.match(path, /@ffmpeg-installer/);
    const r = spawnSync(path, ['-hide_banner', '-version'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^ffmpeg version/);
  } finally {
    process.env.PATH = saved;
  }
});
