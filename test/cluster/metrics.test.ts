// A cluster worker's metrics as /metrics shows them: streams, partitions, fenced, assignments, starts, stops by cause.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { registerClusterMetrics } from '../../src/cluster/metrics.ts';
import { ClusterWorker } from '../../src/cluster/worker.ts';

test('cluster metrics follow the worker', async () => {
  const w = new ClusterWorker({ contactTimeoutMs: 9000, runner: { start: () => {}, stop: () => {} } });
  const registry = new Registry();
  registerClusterMetrics(registry, w);
  const spec = (url: string) => JSON.stringify({ url });
  w.assign([0, 1], new Map([[0, { low: 0, high: 2 }], [1, { low: 0, high: 1 }]]));
  w.record(0, 0, 'a', spec('rtsp://cam/a'));
  w.record(0, 1, 'b', spec('rtsp://cam/b'));
  w.record(1, 0, 'c', spec('rtsp://cam/c'));
  w.assign([0], new Map([[0, { low: 0, high: 2 }]])); // c revoked
  w.record(0, 0, 'a', spec('rtsp://cam/a'));
  w.record(0, 1, 'b', spec('rtsp://cam/b'));
  w.record(0, 2, 'b', null); // b removed
  w.lost('test'); // a fenced
  const text = await registry.metrics();
  const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
  assert.equal(value('retinastream_cluster_streams'), 0);
  assert.equal(value('retinastream_cluster_partitions'), 1);
  assert.equal(value('retinastream_cluster_fenced'), 1);
  assert.equal(value('retinastream_cluster_assignments_total'), 2);
  assert.equal(value('retinastream_cluster_stream_starts_total'), 3);
  assert.equal(value('retinastream_cluster_stream_stops_total{cause="revoked"}'), 1);
  assert.equal(value('retinastream_cluster_stream_stops_total{cause="removed"}'), 1);
  assert.equal(value('retinastream_cluster_stream_stops_total{cause="fenced"}'), 1);
  assert.equal(value('retinastream_cluster_stream_stops_total{cause="changed"}'), 0);
});
