// File sources with real ffmpeg: lossless delivery, backpressure, geometry and pixels, broken files.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createStreamSource, type StreamSource } from '../../../src/pipeline/ingest/index.ts';
import type { Frame, StreamStatusEvent } from '../../../src/pipeline/types.ts';
import { makeVideo, runFfmpeg, tempDir } from '../../helpers/media.ts';

const tmp = tempDir();
let clip = ''; // 160x120, 25 fps, 40 frames
let tall = ''; // 90x160 (portrait), 10 fps, 5 frames
let halves = ''; // 160x120, left red / right blue, lossless RGB

before(async () => {
  clip = await makeVideo(tmp.dir, 'clip', { width: 160, height: 120, fps: 25, frames: 40 });
  tall = await makeVideo(tmp.dir, 'tall', { width: 90, height: 160, fps: 10, frames: 5 });
  halves = await makeVideo(tmp.dir, 'halves', { width: 160, height: 120, fps: 10, frames: 3, pattern: 'halves' });
});
after(() => tmp.cleanup());

function record(source: StreamSource): StreamStatusEvent[] {
  const events: StreamStatusEvent[] = [];
  source.status$.subscribe((e) => events.push(e));
  return events;
}

/** Takes every frame as soon as it is announced. */
async function drain(source: StreamSource): Promise<Frame[]> {
  const frames: Frame[] = [];
  source.frameReady$.subscribe(() => {
    for (let f = source.take(); f; f = source.take()) frames.push(f);
  });
  source.start();
  await source.done;
  return frames;
}

function pixel(f: Frame, x: number, y: number): [number, number, number] {
  const i = (y * f.width + x) * 3;
  return [f.data[i]!, f.data[i + 1]!, f.data[i + 2]!];
}

describe('file source', () => {
  test('delivers every frame exactly once, in order, with pts from the file, even to a slow consumer', async () => {
    const source = createStreamSource({ id: 'clip', url: clip, canvasWidth: 128, canvasHeight: 96, losslessQueue: 2 });
    const events = record(source);
    assert.equal(source.lossless, true);
    const frames: Frame[] = [];
    let maxWaiting = 0;
    // Slow consumer: one take every 3 ms, whether or not a frame was announced.
    const timer = setInterval(() => {
      const f = source.take();
      if (f) frames.push(f);
      maxWaiting = Math.max(maxWaiting, source.stats().decoded - frames.length);
    }, 3);
    source.start();
    assert.equal(await source.done, 'ended');
    clearInterval(timer);

    assert.equal(frames.length, 40);
    assert.deepEqual(frames.map((f) => f.frameNumber), [...Array(40).keys()]);
    frames.forEach((f, k) => assert.ok(Math.abs(f.pts - k / 25) < 1e-6, `pts of frame ${k}: ${f.pts}`));
    assert.ok(maxWaiting <= 2, `at most losslessQueue frames wait, saw ${maxWaiting}`);
    assert.ok(frames.every((f) => f.droppedBefore === 0 && f.lossless && f.data.length === 128 * 96 * 3));
    assert.deepEqual(events.map((e) => e.state), ['connecting', 'live', 'ended']);
    assert.equal(events[0]!.previousState, null);
    assert.equal(events[2]!.previousState, 'live');
    const s = source.stats();
    assert.equal(s.decoded, 40);
    assert.equal(s.dropped, 0);
    assert.equal(s.restarts, 0);
    assert.equal(s.totalFrames, 40);
  });

  test('a paused source is not stalled, and ends only after the buffered frames are taken', async () => {
    const source = createStreamSource({
      id: 'clip', url: clip, canvasWidth: 64, canvasHeight: 48, losslessQueue: 3, stallTimeoutMs: 150,
    });
    const events = record(source);
    source.start();
    // Take nothing for longer than the stall timeout: ffmpeg waits on a full queue; no stall, no end.
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(source.state, 'live');
    assert.deepEqual(events.map((e) => e.state), ['connecting', 'live']);
    assert.equal(source.stats().decoded, 3);
    let n = 0;
    while (source.state === 'live') {
      if (source.take()) n++;
      else await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal(source.state, 'ended');
    assert.equal(n, 40);
  });

  test('a lossless source restarted after a crash skips what it delivered: still exactly once', async () => {
    const source = createStreamSource({
      // Frames of 147 kB: the pipes hold at most a frame or two, so ffmpeg is still running at frame 10.
      id: 'clip', url: clip, canvasWidth: 256, canvasHeight: 192, losslessQueue: 1, maxRetries: 1,
      backoff: { initialMs: 20, maxMs: 20, factor: 2, jitter: 0 },
    });
    const events = record(source);
    const frames: Frame[] = [];
    let killed = false;
    const timer = setInterval(() => {
      const f = source.take();
      if (f) frames.push(f);
      if (!killed && frames.length === 10) {
        killed = true;
        const ps = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
        const pid = ps.split('\n').find((l) => l.includes('ffmpeg'))!.trim().split(/\s+/)[0];
        process.kill(Number(pid), 'SIGKILL');
      }
    }, 2);
    source.start();
    assert.equal(await source.done, 'ended');
    clearInterval(timer);
    assert.ok(killed);
    assert.deepEqual(events.map((e) => e.state), ['connecting', 'live', 'backing_off', 'connecting', 'live', 'ended']);
    assert.deepEqual(frames.map((f) => f.frameNumber), [...Array(40).keys()]);
    frames.forEach((f, k) => assert.ok(Math.abs(f.pts - k / 25) < 1e-6, `pts of frame ${k}: ${f.pts}`));
  });

  test('works with the 2018 ffmpeg of @ffmpeg-installer too (-vsync instead of -fps_mode)', async () => {
    const ffmpegPath = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    const source = createStreamSource({ id: 'old', url: tall, canvasWidth: 128, canvasHeight: 96, ffmpegPath });
    const frames = await drain(source);
    assert.equal(source.state, 'ended');
    assert.deepEqual(frames.map((f) => [f.frameNumber, f.contentWidth, f.contentHeight]), [0, 1, 2, 3, 4].map((n) => [n, 54, 96]));
  });

  test('scales a portrait video to fit, keeps the aspect, pads right with padColor', async () => {
    const pad: [number, number, number] = [10, 200, 30];
    const source = createStreamSource({ id: 'tall', url: tall, canvasWidth: 128, canvasHeight: 96, padColor: pad });
    const frames = await drain(source);
    assert.equal(frames.length, 5);
    // 90x160 into 128x96: height fills (96), width = round(90 * 96 / 160) = 54.
    for (const f of frames) {
      assert.deepEqual([f.sourceWidth, f.sourceHeight, f.contentWidth, f.contentHeight, f.width, f.height], [90, 160, 54, 96, 128, 96]);
    }
    const f = frames[0]!;
    for (const [x, y] of [[54, 0], [127, 95], [80, 40]] as const) assert.deepEqual(pixel(f, x, y), pad);
    const content = new Set<string>();
    for (let y = 0; y < 96; y += 8) for (let x = 0; x < 54; x += 4) content.add(pixel(f, x, y).join(','));
    assert.ok(content.size > 5, 'the content area holds the test pattern, not padding');
    frames.forEach((fr, k) => assert.ok(Math.abs(fr.pts - k / 10) < 1e-6));
  });

  test('a resolution change mid-stream: later frames report the new source and content size', async () => {
    // Two MPEG-TS segments back to back (160x120 then 90x160), as a camera switching profiles.
    const a = join(tmp.dir, 'landscape.ts');
    const b = join(tmp.dir, 'portrait.ts');
    const enc = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-f', 'mpegts'];
    await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-frames:v', '4', ...enc, a]);
    await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=90x160:rate=10', '-frames:v', '4', '-output_ts_offset', '0.4', ...enc, b]);
    const url = join(tmp.dir, 'switch.ts');
    writeFileSync(url, Buffer.concat([readFileSync(a), readFileSync(b)]));
    const frames = await drain(createStreamSource({ id: 'switch', url, canvasWidth: 128, canvasHeight: 96 }));
    assert.deepEqual(
      frames.map((f) => [f.frameNumber, f.sourceWidth, f.sourceHeight, f.contentWidth, f.contentHeight]),
      [0, 1, 2, 3].map((n) => [n, 160, 120, 128, 96]).concat([4, 5, 6, 7].map((n) => [n, 90, 160, 54, 96])),
    );
    assert.notDeepEqual(pixel(frames[3]!, 100, 10), [124, 116, 104]); // content before the switch
    assert.deepEqual(pixel(frames[4]!, 100, 10), [124, 116, 104]); // padding after it
  });

  test('pixels survive scaling: red left half, blue right half, default pad colour below', async () => {
    const source = createStreamSource({ id: 'halves', url: halves, canvasWidth: 128, canvasHeight: 128 });
    const frames = await drain(source);
    assert.equal(frames.length, 3);
    const f = frames[2]!;
    // 160x120 into 128x128: width fills, height = round(120 * 128 / 160) = 96; rows 96.. are padding.
    assert.deepEqual([f.contentWidth, f.contentHeight], [128, 96]);
    const near = (got: number[], want: number[]) => got.every((v, i) => Math.abs(v - want[i]!) <= 2);
    assert.ok(near(pixel(f, 20, 48), [255, 0, 0]), `left: ${pixel(f, 20, 48)}`);
    assert.ok(near(pixel(f, 110, 48), [0, 0, 255]), `right: ${pixel(f, 110, 48)}`);
    assert.deepEqual(pixel(f, 5, 100), [124, 116, 104]);
    assert.deepEqual(pixel(f, 127, 127), [124, 116, 104]);
  });

  test('a missing file fails at once with a one-line reason naming it', async () => {
    const url = join(tmp.dir, 'nope.mp4');
    const source = createStreamSource({ id: 'nope', url, canvasWidth: 64, canvasHeight: 48 });
    const events = record(source);
    const frames = await drain(source);
    assert.equal(frames.length, 0);
    assert.equal(source.state, 'failed');
    const last = events.at(-1)!;
    assert.deepEqual(events.map((e) => e.state), ['connecting', 'failed']);
    assert.ok(last.reason!.includes(url), last.reason);
    assert.match(last.reason!, /No such file or directory/);
    assert.ok(!last.reason!.includes('\n'));
  });

  test('a file of garbage fails with ffmpeg\'s error', async () => {
    const url = join(tmp.dir, 'garbage.mp4');
    writeFileSync(url, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251)));
    const source = createStreamSource({ id: 'garbage', url, canvasWidth: 64, canvasHeight: 48 });
    const events = record(source);
    await drain(source);
    assert.equal(source.state, 'failed');
    assert.match(events.at(-1)!.reason!, /garbage\.mp4: Invalid data found when processing input \(ffmpeg exited with code \d+\)$/);
  });

  test('a file cut before its index (moov at the end) fails with ffmpeg\'s reason', async () => {
    const bytes = readFileSync(clip);
    const url = join(tmp.dir, 'truncated.mp4');
    writeFileSync(url, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const source = createStreamSource({ id: 'truncated', url, canvasWidth: 64, canvasHeight: 48 });
    const events = record(source);
    const frames = await drain(source);
    assert.equal(source.state, 'failed');
    assert.equal(frames.length, 0);
    assert.match(events.at(-1)!.reason!, /^\S+truncated\.mp4: .*(Invalid data|moov atom)/);
  });

  test('a file cut mid-stream (index first) delivers the frames it has, then fails (not a normal end) without hanging', async () => {
    const faststart = join(tmp.dir, 'faststart.mp4');
    await runFfmpeg(['-i', clip, '-c', 'copy', '-movflags', '+faststart', faststart]);
    const bytes = readFileSync(faststart);
    const url = join(tmp.dir, 'cut.mp4');
    writeFileSync(url, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const source = createStreamSource({ id: 'cut', url, canvasWidth: 64, canvasHeight: 48, stallTimeoutMs: 3000 });
    const t0 = Date.now();
    const statuses: string[] = [];
    source.status$.subscribe((e) => statuses.push(`${e.state}: ${e.reason ?? ''}`));
    const frames = await drain(source);
    assert.ok(Date.now() - t0 < 3000, 'finishes promptly');
    assert.equal(source.state, 'failed', 'a truncated file is reported, not a normal end');
    assert.match(statuses.at(-1)!, /^failed: .*cut\.mp4: damaged or truncated input: .+ \(\d+ ffmpeg error lines; \d+ frames decoded\)$/);
    assert.ok(frames.length > 0 && frames.length < 40, `got ${frames.length} of 40 frames`);
    assert.deepEqual(frames.map((f) => f.frameNumber), [...Array(frames.length).keys()]);
  });

  test('stop() kills ffmpeg mid-file and completes', async () => {
    const source = createStreamSource({ id: 'clip', url: clip, canvasWidth: 64, canvasHeight: 48, losslessQueue: 1 });
    let completed = false;
    source.frameReady$.subscribe({ complete: () => (completed = true) });
    source.start();
    await new Promise((r) => setTimeout(r, 300)); // paused on a full queue by now
    await source.stop();
    assert.equal(source.state, 'ended');
    assert.equal(await source.done, 'ended');
    assert.ok(completed);
    assert.equal(source.take(), undefined);
  });
});
