// HTTP inputs with real ffmpeg against a local HTTP server: an HLS playlist read losslessly, and a
// server that accepts requests and never answers (socket timeout -> back off).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join, normalize } from 'node:path';
import { createStreamSource } from '../../../src/pipeline/ingest/index.ts';
import type { Frame, StreamStatusEvent } from '../../../src/pipeline/types.ts';
import { runFfmpeg, tempDir } from '../../helpers/media.ts';

const tmp = tempDir();
let server: Server;
let base = '';
const hung: ServerResponse[] = [];

before(async () => {
  // 30 frames at 10 fps cut into 1 s segments: a 3-segment VOD playlist.
  await runFfmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-frames:v', '30',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '10',
    '-f', 'hls', '-hls_time', '1', '-hls_playlist_type', 'vod', join(tmp.dir, 'index.m3u8'),
  ]);
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = normalize(join(tmp.dir, decodeURIComponent((req.url ?? '/').split('?')[0]!)));
    if (req.url?.startsWith('/hang')) {
      hung.push(res); // accept, never answer
      return;
    }
    if (!path.startsWith(tmp.dir) || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200);
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

after(async () => {
  for (const res of hung) res.destroy();
  await new Promise((r) => server.close(r));
  tmp.cleanup();
});

describe('http source', () => {
  test('an HLS playlist read losslessly (live: false): every frame once, then ended', async () => {
    const source = createStreamSource({ id: 'hls', url: `${base}/index.m3u8`, live: false, canvasWidth: 64, canvasHeight: 48 });
    const frames: Frame[] = [];
    source.frameReady$.subscribe(() => {
      for (let f = source.take(); f; f = source.take()) frames.push(f);
    });
    source.start();
    assert.equal(await source.done, 'ended');
    assert.deepEqual(frames.map((f) => f.frameNumber), [...Array(30).keys()]);
    for (let i = 1; i < frames.length; i++) assert.ok(Math.abs(frames[i]!.pts - frames[i - 1]!.pts - 0.1) < 1e-3);
  });

  test('a 404 on a lossless http input fails with the status', async () => {
    const url = `${base}/missing.m3u8`;
    const source = createStreamSource({ id: 'missing', url, live: false, canvasWidth: 64, canvasHeight: 48 });
    const events: StreamStatusEvent[] = [];
    source.status$.subscribe((e) => events.push(e));
    source.start();
    assert.equal(await source.done, 'failed');
    assert.match(events.at(-1)!.reason!, new RegExp(`^${url.replace(/[.?]/g, '\\$&')}: .*404`));
  });

  test('a server that never answers: the socket timeout fires and the source backs off', async () => {
    const url = `${base}/hang/live.m3u8`;
    const source = createStreamSource({
      id: 'hang', url, canvasWidth: 64, canvasHeight: 48, connectTimeoutMs: 300, stallTimeoutMs: 5000,
      backoff: { initialMs: 50, maxMs: 50, factor: 2, jitter: 0 },
    });
    assert.equal(source.lossless, false, 'http is live by default');
    const events: StreamStatusEvent[] = [];
    source.status$.subscribe((e) => events.push(e));
    const t0 = Date.now();
    source.start();
    await new Promise<void>((resolve) => {
      const sub = source.status$.subscribe((e) => {
        if (e.state === 'backing_off') {
          queueMicrotask(() => sub.unsubscribe());
          resolve();
        }
      });
    });
    // ffmpeg's -rw_timeout (300 ms) fired, long before our own 5.3 s connect watchdog would have.
    assert.ok(Date.now() - t0 < 3000, `backed off after ${Date.now() - t0} ms`);
    await source.stop();
    assert.deepEqual(events.map((e) => e.state), ['connecting', 'backing_off', 'ended']);
    assert.ok(events[1]!.reason!.startsWith(`${url}: `), events[1]!.reason);
  });
});
