import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fitCanvas, scaleExpressions } from '../../../src/pipeline/ingest/fitCanvas.ts';
import { LineSplitter, parseLogLine, parseShowinfo } from '../../../src/pipeline/ingest/ffmpegLog.ts';
import { findFfmpeg } from '../../../src/pipeline/ingest/findFfmpeg.ts';

test('fitCanvas: the wider side fills the canvas, the other is rounded to the nearest pixel', () => {
  // 160x120 (4:3) in 128x96 (4:3): exact fit.
  assert.deepEqual(fitCanvas(160, 120, 128, 96), { contentWidth: 128, contentHeight: 96 });
  // 1920x1080 in 128x96: width fills, height = 1080 * 128 / 1920 = 72.
  assert.deepEqual(fitCanvas(1920, 1080, 128, 96), { contentWidth: 128, contentHeight: 72 });
  // 90x160 in 128x96: height fills, width = 90 * 96 / 160 = 54.
  assert.deepEqual(fitCanvas(90, 160, 128, 96), { contentWidth: 54, contentHeight: 96 });
  // 333x157 in 128x96: 333*96 = 31968 >= 157*128 = 20096, width fills; 157 * 128 / 333 = 60.35 -> 60.
  assert.deepEqual(fitCanvas(333, 157, 128, 96), { contentWidth: 128, contentHeight: 60 });
  // 1000x1 never collapses to 0 rows.
  assert.deepEqual(fitCanvas(1000, 1, 128, 96), { contentWidth: 128, contentHeight: 1 });
});

test('fitCanvas agrees with the size ffmpeg produces from scaleExpressions', () => {
  const sizes: Array<[number, number]> = [[333, 157], [157, 333], [1920, 1080], [7, 3], [250, 187]];
  const { w, h } = scaleExpressions(128, 96);
  for (const [iw, ih] of sizes) {
    // showinfo before and after the scale: lavfi rounds odd yuv420p sizes down (7x3 -> 6x2), so the
    // expectation is computed from the size ffmpeg actually decoded, as the source does.
    const res = spawnSync(findFfmpeg(), [
      '-hide_banner', '-nostdin', '-loglevel', 'level+info', '-f', 'lavfi', '-i', `color=c=gray:s=${iw}x${ih}:r=1`,
      '-frames:v', '1', '-vf', `showinfo,scale=w=${w}:h=${h},format=rgb24,showinfo`, '-f', 'null', '-',
    ], { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    const seen: Array<[number, number]> = [];
    const lines = new LineSplitter((l) => {
      const info = parseShowinfo(parseLogLine(l));
      if (info) seen.push([info.width, info.height]);
    });
    lines.push(res.stderr);
    lines.end();
    assert.equal(seen.length, 2, res.stderr);
    const [[sw, sh], got] = seen as [[number, number], [number, number]];
    const want = fitCanvas(sw, sh, 128, 96);
    assert.deepEqual(got, [want.contentWidth, want.contentHeight], `${sw}x${sh}`);
  }
});
