// A real RTSP stream (GStreamer gst-rtsp-server, see test/helpers/rtsp_server.py): the source
// survives a killed server and a frozen one, keeping frame numbers and pts monotonic.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createStreamSource, type StreamSource } from '../../../src/pipeline/ingest/index.ts';
import type { Frame, StreamState, StreamStatusEvent } from '../../../src/pipeline/types.ts';
import { startRtspServer, type RtspServer } from '../../helpers/rtspServer.ts';
import { waitFor } from '../../helpers/waitFor.ts';

let server: RtspServer;

before(async () => {
  server = await startRtspServer({ size: '160x120', fps: 25 });
});
after(async () => {
  await server?.close();
});

interface Watched {
  source: StreamSource;
  events: StreamStatusEvent[];
  frames: Frame[];
}

function watch(source: StreamSource): Watched {
  const w: Watched = { source, events: [], frames: [] };
  source.status$.subscribe((e) => w.events.push(e));
  source.frameReady$.subscribe(() => {
    const f = source.take();
    if (f) w.frames.push(f);
  });
  return w;
}

/** Frame numbers and pts strictly increasing over the whole run, across reconnects. */
function assertMonotonic(frames: Frame[]): void {
  for (let i = 1; i < frames.length; i++) {
    assert.ok(frames[i]!.frameNumber > frames[i - 1]!.frameNumber, `frameNumber at ${i}`);
    assert.ok(frames[i]!.pts > frames[i - 1]!.pts, `pts at ${i}: ${frames[i - 1]!.pts} -> ${frames[i]!.pts}`);
  }
}

/** The states in order. */
function states(w: Watched): StreamState[] {
  return w.events.map((e) => e.state);
}

describe('rtsp source', () => {
  test('decodes a live RTSP stream over TCP with the source size and the canvas geometry', async () => {
    const w = watch(createStreamSource({ id: 'cam', url: server.url, canvasWidth: 128, canvasHeight: 128 }));
    assert.equal(w.source.lossless, false);
    w.source.start();
    await waitFor('10 frames', () => w.frames.length >= 10, 10000);
    await w.source.stop();
    assert.deepEqual(states(w), ['connecting', 'live', 'ended']);
    const f = w.frames[0]!;
    assert.deepEqual([f.sourceWidth, f.sourceHeight, f.contentWidth, f.contentHeight], [160, 120, 128, 96]);
    assertMonotonic(w.frames);
  });

  test('server killed mid-stream and restarted: live -> backing_off -> connecting -> live, numbering goes on', async () => {
    const w = watch(
      createStreamSource({
        id: 'cam', url: server.url, canvasWidth: 64, canvasHeight: 48,
        connectTimeoutMs: 2000, stallTimeoutMs: 2000,
        backoff: { initialMs: 150, maxMs: 300, factor: 2, jitter: 0 },
      }),
    );
    w.source.start();
    try {
      await waitFor('first frames', () => w.frames.length >= 5, 10000);
      await server.kill();
      await waitFor('a refused reconnect', () => w.events.filter((e) => e.state === 'backing_off').length >= 2, 8000);
      const before = w.frames.length;
      const lastBefore = w.frames.at(-1)!;
      await server.restart();
      await waitFor('frames after the restart', () => w.frames.length >= before + 5, 10000);

      const seq = states(w);
      const liveAgain = seq.lastIndexOf('live');
      assert.equal(seq[0], 'connecting');
      assert.equal(seq[1], 'live');
      assert.ok(['backing_off', 'stalled'].includes(seq[2]!), `after live: ${seq[2]}`);
      assert.equal(seq[liveAgain - 1], 'connecting');
      assert.ok(liveAgain > 3);
      const backoffs = w.events.filter((e) => e.state === 'backing_off');
      assert.deepEqual(backoffs.slice(0, 2).map((e) => e.attempt), [1, 2]);
      assert.ok(backoffs.every((e) => e.reason!.startsWith(server.url)), backoffs.map((e) => e.reason).join(' | '));
      assert.match(backoffs[1]!.reason!, /refused/i);
      assertMonotonic(w.frames);
      assert.ok(w.frames[before]!.frameNumber > lastBefore.frameNumber);
      assert.ok(w.source.stats().restarts >= 2);
      assert.equal(w.source.state, 'live');
    } finally {
      await w.source.stop();
    }
  });

  test('server frozen (SIGSTOP): stalled, killed, retried until it thaws, then live again', async () => {
    const w = watch(
      createStreamSource({
        id: 'cam', url: server.url, canvasWidth: 64, canvasHeight: 48,
        connectTimeoutMs: 2500, stallTimeoutMs: 700,
        backoff: { initialMs: 100, maxMs: 200, factor: 2, jitter: 0 },
      }),
    );
    w.source.start();
    try {
      await waitFor('first frames', () => w.frames.length >= 5, 10000);
      server.freeze();
      await waitFor('stalled', () => w.source.state !== 'live', 5000);
      await waitFor('a reconnect while frozen', () => states(w).slice(2).includes('connecting'), 5000);
      const before = w.frames.length;
      server.thaw();
      await waitFor('frames after thawing', () => w.frames.length >= before + 5, 15000);

      const seq = states(w);
      assert.deepEqual(seq.slice(0, 5), ['connecting', 'live', 'stalled', 'backing_off', 'connecting']);
      assert.match(w.events[2]!.reason!, /no frame for 700 ms/);
      assert.equal(seq.at(-1), 'live');
      assertMonotonic(w.frames);
    } finally {
      server.thaw();
      await w.source.stop();
    }
  });

  test('RTSP over UDP on request', async () => {
    const w = watch(createStreamSource({ id: 'udp', url: server.url, rtspTransport: 'udp', canvasWidth: 64, canvasHeight: 48 }));
    w.source.start();
    try {
      await waitFor('10 frames over udp', () => w.frames.length >= 10, 10000);
    } finally {
      await w.source.stop();
    }
    assertMonotonic(w.frames);
  });
});
