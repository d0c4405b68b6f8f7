import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from '../../../src/pipeline/metrics/metrics.ts';
import type { DetectionEvent, PipelineEvent, Sink, SinkStats, StreamState } from '../../../src/pipeline/types.ts';

function clock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function event(streamId: string, frameNumber: number, latencyMs: number): DetectionEvent {
  const t = new Date(1_700_000_000_000).toISOString();
  return {
    schemaVersion: 1, type: 'detections', streamId, frameNumber, pts: 0, captureTime: t, emitTime: t, latencyMs,
    source: { width: 640, height: 480 }, model: { name: 'm', weightsHash: 'h' }, detections: [], droppedFrames: 0,
  };
}

function status(streamId: string, state: StreamState): PipelineEvent {
  return { schemaVersion: 1, type: 'status', streamId, state, previousState: null, time: new Date().toISOString() };
}

/** A sink that keeps counts in memory (what a real sink's stats() returns). */
class CountingSink implements Sink {
  readonly name = 'mem';
  written = 0;
  dropped = 0;
  write(): void {
    this.written++;
  }
  async close(): Promise<void> {}
  stats(): SinkStats {
    return { written: this.written, dropped: this.dropped, clients: 3 };
  }
}

/** Prometheus text exposition -> Map of `name{labels}` -> value; fails on any malformed sample line. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    // prom-client writes NaN as "Nan"; Prometheus parses floats case-insensitively.
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+-]+|[Nn]a[Nn]|\+Inf|-Inf)$/.exec(line);
    assert.ok(m, `malformed exposition line: ${line}`);
    samples.set(m[1] + (m[2] ?? ''), Number(m[3]));
  }
  return samples;
}

test('counters, gauges, histograms and quantiles reflect what the stages report', async () => {
  const c = clock();
  const metrics = createMetrics({ defaultMetrics: false, now: c.now });
  metrics.observeEvent(status('cam1', 'live'));
  for (let i = 0; i < 100; i++) {
    metrics.frameDecoded('cam1');
    c.advance(40);
  }
  metrics.framesDropped('cam1', 3, 'ingest');
  metrics.framesDropped('cam1', 2, 'queue');
  metrics.batchInferred({ streamIds: ['cam1', 'cam1', 'cam1'], maxBatch: 4, durationMs: 30 });
  metrics.batchInferred({ streamIds: ['cam1'], maxBatch: 4, durationMs: 10 });
  // Latencies 1..100 ms in shuffled order.
  const lat = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
  lat.forEach((ms, i) => metrics.observeEvent(event('cam1', i, ms)));
  c.advance(250);

  assert.deepEqual(metrics.latencyQuantiles('cam1'), { p50: 50, p95: 95, p99: 99, count: 100 });
  assert.equal(metrics.latencyQuantiles('nope'), null);

  const s = parseExposition(await metrics.registry.metrics());
  assert.equal(s.get('retinastream_frames_decoded_total{stream="cam1"}'), 100);
  assert.equal(s.get('retinastream_frames_dropped_total{stream="cam1",stage="ingest"}'), 3);
  assert.equal(s.get('retinastream_frames_dropped_total{stream="cam1",stage="queue"}'), 2);
  assert.equal(s.get('retinastream_frames_inferred_total{stream="cam1"}'), 4);
  assert.equal(s.get('retinastream_events_emitted_total{stream="cam1"}'), 100);
  assert.equal(s.get('retinastream_stream_state{stream="cam1",state="live"}'), 1);
  assert.equal(s.get('retinastream_stream_state{stream="cam1",state="stalled"}'), 0);
  // last frame decoded at start + 99*40 ms; now = start + 100*40 + 250
  assert.equal(s.get('retinastream_stream_last_frame_age_milliseconds{stream="cam1"}'), 290);
  assert.equal(s.get('retinastream_event_latency_milliseconds_count{stream="cam1"}'), 100);
  assert.equal(s.get('retinastream_event_latency_milliseconds_sum{stream="cam1"}'), 5050);
  assert.equal(s.get('retinastream_event_latency_milliseconds_bucket{le="50",stream="cam1"}'), 50);
  assert.equal(s.get('retinastream_event_latency_window_milliseconds{stream="cam1",quantile="0.99"}'), 99);
  assert.equal(s.get('retinastream_inference_batch_duration_milliseconds_sum'), 40);
  // fills 0.75 and 0.25
  assert.equal(s.get('retinastream_inference_batch_fill_ratio_bucket{le="0.3"}'), 1);
  assert.equal(s.get('retinastream_inference_batch_fill_ratio_sum'), 1);
  assert.ok(s.has('retinastream_stream_fps{stream="cam1",stage="decode"}'));

  const snap = metrics.snapshot();
  assert.equal(snap.batches.count, 2);
  assert.equal(snap.batches.meanFill, 0.5);
  assert.equal(snap.batches.meanFrames, 2);
  const cam1 = snap.streams[0];
  assert.equal(cam1.framesDropped, 5);
  assert.equal(cam1.lastFrameAgeMs, 290);
  // 100 frames, one per 40 ms, then 290 ms idle: the 5 s window ends at 4250 ms after the first frame
  // and holds all 100 -> 100 / 4.25 s.
  assert.ok(Math.abs(cam1.decodeFps - 100 / 4.25) < 0.01, `decode fps ${cam1.decodeFps}`);
});

test('sink stats are exported as monotonic counters plus extra gauges', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const sink = new CountingSink();
  metrics.watchSink(sink);
  metrics.watchSink(sink); // watching twice does not double count
  for (let i = 0; i < 5; i++) sink.write();
  let s = parseExposition(await metrics.registry.metrics());
  assert.equal(s.get('retinastream_sink_events_written_total{sink="mem"}'), 5);
  for (let i = 0; i < 3; i++) sink.write();
  sink.dropped = 2;
  s = parseExposition(await metrics.registry.metrics());
  assert.equal(s.get('retinastream_sink_events_written_total{sink="mem"}'), 8);
  assert.equal(s.get('retinastream_sink_events_dropped_total{sink="mem"}'), 2);
  assert.equal(s.get('retinastream_sink_stat{sink="mem",stat="clients"}'), 3);
  assert.deepEqual(metrics.snapshot().sinks, [{ name: 'mem', stats: { written: 8, dropped: 2, clients: 3 } }]);
});

test('default process metrics are included and the whole exposition parses', async () => {
  const metrics = createMetrics();
  metrics.frameDecoded('a');
  const text = await metrics.registry.metrics();
  const s = parseExposition(text);
  assert.ok(s.has('retinastream_process_cpu_user_seconds_total'));
  assert.ok([...s.keys()].some((k) => k.startsWith('retinastream_nodejs_eventloop_lag')));
  assert.match(metrics.registry.contentType, /^text\/plain; version=0\.0\.4/);
});

test('track and zone events: tracks open, zone occupancy and entries, line crossings per direction', async () => {
  const m = createMetrics({ defaultMetrics: false });
  const t = new Date(0).toISOString();
  const base = { schemaVersion: 1 as const, streamId: 'cam', classId: 1, label: 'person', time: t };
  const events: PipelineEvent[] = [
    { ...base, type: 'track_started', trackId: 1, firstFrame: 0, firstPts: 0, firstTime: t, frameNumber: 1, box: [0, 0, 1, 1], score: 0.9 },
    { ...base, type: 'track_started', trackId: 2, firstFrame: 0, firstPts: 0, firstTime: t, frameNumber: 1, box: [0, 0, 1, 1], score: 0.9 },
    { ...base, type: 'zone_enter', zone: 'door', trackId: 1, frameNumber: 1, pts: 0, occupancy: 1 },
    { ...base, type: 'zone_enter', zone: 'door', trackId: 2, frameNumber: 2, pts: 0, occupancy: 2 },
    { ...base, type: 'zone_exit', zone: 'door', trackId: 1, frameNumber: 3, pts: 0, dwellS: 1, reason: 'left', occupancy: 1 },
    { ...base, type: 'line_cross', line: 'gate', trackId: 1, frameNumber: 3, pts: 0, direction: 'in', counts: { in: 1, out: 0 } },
    { ...base, type: 'line_cross', line: 'gate', trackId: 2, frameNumber: 4, pts: 0, direction: 'in', counts: { in: 2, out: 0 } },
    { ...base, type: 'track_ended', trackId: 1, firstFrame: 0, lastFrame: 3, firstPts: 0, lastPts: 0.3, firstTime: t, lastTime: t, durationS: 0.3, framesSeen: 4, reason: 'lost' },
  ];
  for (const e of events) m.observeEvent(e);
  const text = await m.registry.metrics();
  const value = (re: RegExp) => Number(re.exec(text)?.[1]);
  assert.equal(value(/retinastream_tracks_started_total\{stream="cam"\} (\d+)/), 2);
  assert.equal(value(/retinastream_tracks_open\{stream="cam"\} (\d+)/), 1);
  assert.equal(value(/retinastream_tracks_ended_total\{stream="cam",reason="lost"\} (\d+)/), 1);
  assert.equal(value(/retinastream_zone_occupancy\{stream="cam",zone="door"\} (\d+)/), 1);
  assert.equal(value(/retinastream_zone_entries_total\{stream="cam",zone="door"\} (\d+)/), 2);
  assert.equal(value(/retinastream_zone_exits_total\{stream="cam",zone="door"\} (\d+)/), 1);
  assert.equal(value(/retinastream_line_crossings_total\{stream="cam",line="gate",direction="in"\} (\d+)/), 2);
  assert.equal(m.snapshot().streams[0].eventsEmitted, 0, 'track and zone events are not detection events');
});
