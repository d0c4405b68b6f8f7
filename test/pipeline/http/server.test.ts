import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startHttpServer } from '../../../src/pipeline/http/server.ts';
import { healthFromMetrics } from '../../../src/pipeline/http/health.ts';
import { createMetrics } from '../../../src/pipeline/metrics/metrics.ts';
import { createWsSink } from '../../../src/pipeline/sinks/wsSink.ts';
import type { StreamState } from '../../../src/pipeline/types.ts';

function status(streamId: string, state: StreamState) {
  return { schemaVersion: 1 as const, type: 'status' as const, streamId, state, previousState: null, time: new Date().toISOString() };
}

test('/metrics serves the registry in Prometheus text; /healthz follows readiness; other paths 404; wrong method 405', async () => {
  let t = 1_000_000;
  const metrics = createMetrics({ defaultMetrics: false, now: () => t });
  let modelLoaded = false;
  const http = await startHttpServer({ port: 0, metrics, health: healthFromMetrics(metrics, { modelLoaded: () => modelLoaded, staleAfterMs: 1000 }) });
  const base = `http://127.0.0.1:${http.port}`;
  try {
    metrics.frameDecoded('cam1');
    const m = await fetch(`${base}/metrics`);
    assert.equal(m.status, 200);
    assert.equal(m.headers.get('content-type'), metrics.registry.contentType);
    const text = await m.text();
    assert.match(text, /^retinastream_frames_decoded_total\{stream="cam1"\} 1$/m);
    assert.match(text, /^# TYPE retinastream_event_latency_milliseconds histogram$/m);

    let h = await fetch(`${base}/healthz`);
    assert.equal(h.status, 503);
    assert.deepEqual(await h.json(), { ready: false, modelLoaded: false, streams: { cam1: { state: null, lastFrameAgeMs: 0, live: false } }, degraded: [] });

    modelLoaded = true;
    metrics.observeEvent(status('cam1', 'live'));
    metrics.observeEvent(status('cam2', 'backing_off'));
    t += 400;
    h = await fetch(`${base}/healthz`);
    assert.equal(h.status, 200);
    assert.deepEqual(await h.json(), {
      ready: true, modelLoaded: true,
      streams: { cam1: { state: 'live', lastFrameAgeMs: 400, live: true }, cam2: { state: 'backing_off', lastFrameAgeMs: null, live: false } },
      degraded: [],
    });

    t += 1000; // cam1's last frame is now 1400 ms old: stale
    h = await fetch(`${base}/healthz`);
    assert.equal(h.status, 503);
    assert.equal((await h.json()).streams.cam1.live, false);

    metrics.observeEvent(status('cam1', 'ended'));
    metrics.observeEvent(status('cam2', 'ended'));
    assert.equal((await fetch(`${base}/healthz`)).status, 200, 'a finished run is ready');

    const nf = await fetch(`${base}/nope`);
    assert.equal(nf.status, 404);
    assert.match(await nf.text(), /not found: \/nope/);
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  } finally {
    await http.close();
  }
});

test('the WebSocket sink shares the server on /ws and reports into /metrics', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const http = await startHttpServer({ port: 0, metrics, health: () => ({ ready: true, modelLoaded: true, streams: {} }) });
  const sink = createWsSink({ server: http.server, metrics });
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${http.port}/ws?streams=cam1`);
    const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
      ws.once('message', (d) => resolve(JSON.parse(String(d))));
      ws.once('error', reject);
    });
    assert.equal(hello.type, 'hello');
    const next = new Promise<Record<string, unknown>>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))));
    sink.write(status('cam1', 'live'));
    assert.equal((await next).state, 'live');
    const text = await (await fetch(`http://127.0.0.1:${http.port}/metrics`)).text();
    assert.match(text, /^retinastream_sink_events_written_total\{sink="ws"\} 1$/m);
    assert.match(text, /^retinastream_sink_stat\{sink="ws",stat="clients"\} 1$/m);
    assert.equal((await fetch(`http://127.0.0.1:${http.port}/healthz`)).status, 200);
  } finally {
    await sink.close();
    await http.close();
  }
});

test('a port in use and a bad port fail with one line naming them', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const health = () => ({ ready: true, modelLoaded: true, streams: {} });
  const first = await startHttpServer({ port: 0, metrics, health });
  try {
    await assert.rejects(startHttpServer({ port: first.port, metrics, health }), {
      code: 'RS_ERR_HTTP_LISTEN', message: `http server: cannot listen on 127.0.0.1:${first.port}: EADDRINUSE`,
    });
    await assert.rejects(startHttpServer({ port: 70000, metrics, health }), { code: 'RS_ERR_HTTP_LISTEN', message: /70000 is not an integer between 0 and 65535/ });
  } finally {
    await first.close();
  }
});
