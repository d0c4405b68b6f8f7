// Live sources with real ffmpeg: drop-to-newest accounting, inputs that never answer or refuse,
// retry limits, a dead source beside a healthy one, and no ffmpeg left behind.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { createStreamSource, type StreamSource } from '../../../src/pipeline/ingest/index.ts';
import type { Frame, StreamStatusEvent } from '../../../src/pipeline/types.ts';
import { makeVideo, tempDir } from '../../helpers/media.ts';
import { waitFor } from '../../helpers/waitFor.ts';

const tmp = tempDir();
let clip = ''; // 160x120, 50 fps, 40 frames: 0.8 s when read in real time

before(async () => {
  clip = await makeVideo(tmp.dir, 'clip', { width: 160, height: 120, fps: 50, frames: 40 });
});
after(() => tmp.cleanup());

function record(source: StreamSource): StreamStatusEvent[] {
  const events: StreamStatusEvent[] = [];
  source.status$.subscribe((e) => events.push(e));
  return events;
}

/** Child processes of this test process (pid, state, command): a stopped source leaves none. */
function ffmpegChildren(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,stat=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out.split('\n').filter((l) => /ffmpeg/.test(l));
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('live source', () => {
  test('keeps only the newest frame: every decoded frame is taken or counted as dropped', async () => {
    const source = createStreamSource({ id: 'cam', url: clip, live: true, canvasWidth: 64, canvasHeight: 48 });
    assert.equal(source.lossless, false);
    const frames: Frame[] = [];
    const timer = setInterval(() => {
      const f = source.take();
      if (f) frames.push(f);
    }, 100); // 10 takes/s against 50 frames/s
    source.start();
    assert.equal(await source.done, 'ended');
    clearInterval(timer);

    const s = source.stats();
    assert.equal(s.decoded, 40);
    assert.ok(frames.length >= 4 && frames.length < 20, `took ${frames.length}`);
    let prev = -1;
    for (const f of frames) {
      assert.equal(f.droppedBefore, f.frameNumber - prev - 1, `frame ${f.frameNumber} after ${prev}`);
      assert.equal(f.lossless, false);
      prev = f.frameNumber;
    }
    assert.equal(frames.at(-1)!.frameNumber, 39, 'the last frame is kept until taken');
    const droppedSum = frames.reduce((a, f) => a + f.droppedBefore, 0);
    assert.equal(s.dropped, droppedSum);
    assert.equal(droppedSum + frames.length, 40);
    // Read in real time (-re): 40 frames at 50 fps span about 0.78 s of pts and of wall time.
    assert.ok(Math.abs(frames.at(-1)!.pts - 39 / 50) < 1e-6);
  });

  test('a crashed ffmpeg (SIGKILL) is restarted; frame numbers and pts go on increasing', async () => {
    const source = createStreamSource({
      id: 'cam', url: clip, live: true, canvasWidth: 64, canvasHeight: 48,
      backoff: { initialMs: 50, maxMs: 50, factor: 2, jitter: 0 },
    });
    const events = record(source);
    const frames: Frame[] = [];
    source.frameReady$.subscribe(() => {
      const f = source.take();
      if (f) frames.push(f);
    });
    source.start();
    await waitFor('10 frames', () => frames.length >= 10, 5000);
    const pids = ffmpegChildren().map((l) => Number(l.trim().split(/\s+/)[0]));
    assert.equal(pids.length, 1);
    process.kill(pids[0]!, 'SIGKILL');
    assert.equal(await source.done, 'ended'); // the restarted run plays the file to its end
    assert.deepEqual(events.map((e) => e.state), ['connecting', 'live', 'backing_off', 'connecting', 'live', 'ended']);
    assert.match(events[2]!.reason!, /clip\.mp4: ffmpeg exited with signal SIGKILL$/);
    assert.equal(source.stats().restarts, 1);
    assert.ok(source.stats().decoded > 40, 'the file played again after the restart');
    for (let i = 1; i < frames.length; i++) {
      assert.equal(frames[i]!.frameNumber, frames[i - 1]!.frameNumber + 1 + frames[i]!.droppedBefore);
      assert.ok(frames[i]!.pts > frames[i - 1]!.pts, `pts at ${i}`);
    }
  });

  test('a server that accepts and never answers: backs off, retries with growing attempts, stops promptly', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const url = `rtsp://127.0.0.1:${port}/silent`;
    const source = createStreamSource({
      id: 'silent', url, canvasWidth: 64, canvasHeight: 48,
      connectTimeoutMs: 300, stallTimeoutMs: 300,
      backoff: { initialMs: 100, maxMs: 150, factor: 2, jitter: 0 },
    });
    const events = record(source);
    source.start();
    try {
      await waitFor('two back-offs', () => events.filter((e) => e.state === 'backing_off').length >= 2, 8000);
      const backoffs = events.filter((e) => e.state === 'backing_off');
      assert.deepEqual(backoffs.slice(0, 2).map((e) => [e.attempt, e.retryInMs]), [[1, 100], [2, 150]]);
      assert.ok(backoffs.every((e) => e.reason!.startsWith(`${url}: `) && !e.reason!.includes('\n')), backoffs[0]!.reason);
      assert.deepEqual(
        events.slice(0, 4).map((e) => e.state),
        ['connecting', 'backing_off', 'connecting', 'backing_off'],
      );
      assert.ok(sockets.length >= 2, 'ffmpeg really connected each time');
    } finally {
      const t0 = Date.now();
      await source.stop();
      assert.ok(Date.now() - t0 < 3000, 'stop() does not hang');
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
    assert.equal(source.state, 'ended');
    assert.equal(source.stats().decoded, 0);
    assert.deepEqual(ffmpegChildren(), []);
  });

  test('a refused connection with maxRetries 2 fails after three attempts, naming the URL', async () => {
    const url = `rtsp://user:secret@127.0.0.1:${await freePort()}/cam`;
    const source = createStreamSource({
      id: 'refused', url, canvasWidth: 64, canvasHeight: 48, maxRetries: 2,
      backoff: { initialMs: 50, maxMs: 100, factor: 2, jitter: 0 },
    });
    const events = record(source);
    source.start();
    assert.equal(await source.done, 'failed');
    assert.deepEqual(events.map((e) => e.state), [
      'connecting', 'backing_off', 'connecting', 'backing_off', 'connecting', 'failed',
    ]);
    const reason = events.at(-1)!.reason!;
    assert.match(reason, /^rtsp:\/\/user:\*\*\*@127\.0\.0\.1:\d+\/cam: .*Connection refused.*\(gave up after 2 retries\)$/);
    assert.ok(!events.some((e) => e.reason?.includes('secret')), 'the password never appears');
    assert.equal(source.stats().restarts, 2);
  });

  test('a dead source does not hold back a healthy one', async () => {
    const dead = createStreamSource({
      id: 'dead', url: `rtsp://127.0.0.1:${await freePort()}/x`, canvasWidth: 64, canvasHeight: 48,
      backoff: { initialMs: 50, maxMs: 200, factor: 2, jitter: 0.2 },
    });
    const good = createStreamSource({ id: 'good', url: clip, live: true, canvasWidth: 64, canvasHeight: 48 });
    const deadEvents = record(dead);
    const taken: Frame[] = [];
    good.frameReady$.subscribe(() => {
      const f = good.take();
      if (f) taken.push(f);
    });
    dead.start();
    good.start();
    assert.equal(await good.done, 'ended');
    assert.equal(dead.state === 'backing_off' || dead.state === 'connecting', true);
    assert.ok(deadEvents.filter((e) => e.state === 'backing_off').length >= 2);
    await dead.stop();
    assert.equal(good.stats().decoded, 40);
    assert.equal(taken.reduce((a, f) => a + 1 + f.droppedBefore, 0), 40, 'all frames taken or counted');
    assert.ok(taken.every((f) => f.streamId === 'good'));
    assert.deepEqual(ffmpegChildren(), []);
  });
});
