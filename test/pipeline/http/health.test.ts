// /healthz degraded: a failed stream, a stream down past deadAfterMs, and a sink whose broker has been
// unreachable past sinkOutageMs each make the report degraded (HTTP 503) with one line saying which.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { healthFromMetrics } from '../../../src/pipeline/http/health.ts';
import { startHttpServer } from '../../../src/pipeline/http/server.ts';
import { createMetrics } from '../../../src/pipeline/metrics/metrics.ts';
import type { Sink, StreamState } from '../../../src/pipeline/types.ts';

const status = (streamId: string, state: StreamState) => ({ schemaVersion: 1 as const, type: 'status' as const, streamId, state, previousState: null, time: '' });

test('/healthz reports failed and long-dead streams and an unreachable broker as degraded (503)', async () => {
  let t = 1_000_000;
  const metrics = createMetrics({ defaultMetrics: false, now: () => t });
  let outageMs = 0;
  const kafka: Sink = { name: 'kafka', write() {}, close: async () => {}, stats: () => ({ written: 0, dropped: 0, outageMs }) };
  metrics.watchSink(kafka);
  const http = await startHttpServer({ port: 0, metrics, health: healthFromMetrics(metrics, { modelLoaded: () => true, deadAfterMs: 60_000, sinkOutageMs: 30_000 }) });
  const get = async () => {
    const r = await fetch(`http://127.0.0.1:${http.port}/healthz`);
    return { status: r.status, degraded: ((await r.json()) as { degraded: string[] }).degraded };
  };
  try {
    metrics.frameDecoded('cam1');
    metrics.observeEvent(status('cam1', 'live'));
    metrics.observeEvent(status('cam2', 'backing_off'));
    assert.deepEqual(await get(), { status: 200, degraded: [] }, 'one stream backing off for a moment is not degraded');

    outageMs = 29_000;
    assert.deepEqual(await get(), { status: 200, degraded: [] }, 'a short outage is not degraded');
    outageMs = 45_000;
    assert.deepEqual(await get(), { status: 503, degraded: ['sink kafka: broker unreachable for 45 s'] });
    outageMs = 0;

    t += 61_000;
    metrics.frameDecoded('cam1');
    assert.deepEqual(await get(), { status: 503, degraded: ['stream cam2: backing_off for 61 s'] });

    metrics.observeEvent(status('cam2', 'failed'));
    assert.deepEqual(await get(), { status: 503, degraded: ['stream cam2: failed'] });
  } finally {
    await http.close();
  }
});
