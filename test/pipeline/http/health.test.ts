// Readiness of a process with no stream: a plain run is not ready until it knows a stream; a cluster worker
// (idleIsReady) is ready with none (the group may give it nothing) and still follows its streams once it has some.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { healthFromMetrics } from '../../../src/pipeline/http/health.ts';
import { createMetrics } from '../../../src/pipeline/metrics/metrics.ts';

test('idleIsReady: ready with no stream; a stream stalled past the deadline still degrades it', () => {
  let t = 1_000_000;
  const metrics = createMetrics({ defaultMetrics: false, now: () => t });
  assert.equal(healthFromMetrics(metrics, { modelLoaded: () => true })().ready, false, 'a plain run with no stream yet');
  const worker = healthFromMetrics(metrics, { modelLoaded: () => true, idleIsReady: true, deadAfterMs: 1000 });
  assert.deepEqual(worker(), { ready: true, modelLoaded: true, streams: {}, degraded: [] });
  assert.equal(healthFromMetrics(metrics, { modelLoaded: () => false, idleIsReady: true })().ready, false, 'not before the model is loaded');
  metrics.observeEvent({ schemaVersion: 1, type: 'status', streamId: 'cam1', state: 'stalled', previousState: 'live', time: new Date(t).toISOString() });
  t += 2000;
  assert.deepEqual(worker().degraded, ['stream cam1: stalled for 2 s']);
});
