// The pipeline's metrics: one prom-client Registry (scraped at GET /metrics) plus in-process
// views of the same numbers (sliding-window latency quantiles, fps meters) for the status line.
//
// Times are in milliseconds, like the event schema's latencyMs (metric names say so).
// Labels: `stream` (stream id), `sink` (sink name), `stage` (where frames were dropped).
// Stages report in; nothing here calls back into the pipeline:
//   ingest     -> frameDecoded(streamId)
//   inference  -> batchInferred({streamIds, maxBatch, durationMs})
//   every event -> observeEvent(event): detections (and the frames they say were dropped: droppedFrames,
//                  stage 'live'), status, and error events (frames lost to a failed batch); track events
//                  (tracks started / ended, tracks open) and zone events (occupancy, entries, line crossings)
//   each sink, once -> watchSink(sink)   (its stats() are read at scrape time)
//   the engine, once -> watchEngine(engine)  (tensors held by its workers, worker deaths)

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PipelineEvent, Sink, SinkStats, StreamState } from '../types.ts';
import { RateMeter } from './rateMeter.ts';
import { SlidingQuantiles, type Quantiles } from './slidingQuantiles.ts';

export const STREAM_STATES: readonly StreamState[] = ['connecting', 'live', 'stalled', 'backing_off', 'ended', 'failed'];

export interface MetricsOptions {
  /** Also collect prom-client's default process metrics (CPU, memory, event loop lag, GC); default true. */
  defaultMetrics?: boolean;
  /** Prefix of every metric name (default "retinastream_"). */
  prefix?: string;
  /** Samples kept per stream for latency quantiles (default 1024). */
  latencyWindow?: number;
  /** Window of the fps meters in ms (default 5000). */
  fpsWindowMs?: number;
  /** Clock in ms (default Date.now); tests pass a fake one. */
  now?: () => number;
}

export interface StreamSnapshot {
  streamId: string;
  state: StreamState | null;
  framesDecoded: number;
  framesInferred: number;
  framesDropped: number;
  eventsEmitted: number;
  /** ms since the last decoded frame; null before the first. */
  lastFrameAgeMs: number | null;
  /** ms since the stream entered its current state; null before the first status event. */
  stateAgeMs: number | null;
  /** Frames lost to failed batches (error events). */
  framesLost: number;
  decodeFps: number;
  inferenceFps: number;
  /** Detection events per second. */
  e2eFps: number;
  /** End-to-end latency over the last `latencyWindow` events; null before the first. */
  latency: Quantiles | null;
  /** Frames in the source when known (files), for a progress bar. */
  totalFrames: number | null;
}

export interface MetricsSnapshot {
  /** ms since epoch. */
  time: number;
  streams: StreamSnapshot[];
  batches: { count: number; meanFill: number; meanFrames: number; maxBatch: number; durationMs: Quantiles | null };
  sinks: Array<{ name: string; stats: SinkStats }>;
  /** Frames decoded but lost to failed batches (error events), all streams. */
  framesLost: number;
  /** Tensors held by the inference workers, and worker deaths (null: no worker threads). */
  engine: { tensors: number; workerDeaths: number } | null;
}

export interface EngineStatsSource {
  stats?(): { tensors: number; workerDeaths: number };
}

export interface BatchReport {
  /** Stream id of each frame in the batch (repeats allowed). */
  streamIds: readonly string[];
  /** The batcher's size limit; fill = streamIds.length / maxBatch. */
  maxBatch: number;
  /** Inference time of the batch. */
  durationMs: number;
}

export interface Metrics {
  readonly registry: Registry;
  frameDecoded(streamId: string): void;
  framesDropped(streamId: string, count: number, stage?: string): void;
  batchInferred(batch: BatchReport): void;
  observeEvent(event: PipelineEvent): void;
  /** Known length of a file source, for progress. */
  setStreamTotal(streamId: string, totalFrames: number): void;
  /** Report this sink's stats() as metrics (read at scrape / snapshot time). */
  watchSink(sink: Sink): void;
  /** Report the engine's worker stats (tensors held, deaths) as metrics (read at scrape / snapshot time). */
  watchEngine(engine: EngineStatsSource): void;
  latencyQuantiles(streamId: string): Quantiles | null;
  snapshot(): MetricsSnapshot;
}

interface StreamStats {
  state: StreamState | null;
  stateSince: number | null;
  decoded: number;
  inferred: number;
  dropped: number;
  events: number;
  lost: number;
  lastFrameAt: number | null;
  totalFrames: number | null;
  decodeFps: RateMeter;
  inferenceFps: RateMeter;
  e2eFps: RateMeter;
  latency: SlidingQuantiles;
}

const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000];
const BATCH_BUCKETS_MS = [1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000];
const FILL_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const prefix = opts.prefix ?? 'retinastream_';
  const now = opts.now ?? Date.now;
  const latencyWindow = opts.latencyWindow ?? 1024;
  const fpsWindowMs = opts.fpsWindowMs ?? 5000;
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix });
  const registers = [registry];

  const streams = new Map<string, StreamStats>();
  const sinks: Sink[] = [];
  const batchTimes = new SlidingQuantiles(latencyWindow);
  let batchCount = 0;
  let batchFrames = 0;
  let batchFillSum = 0;
  let lastMaxBatch = 0;

  function stream(id: string): StreamStats {
    let s = streams.get(id);
    if (!s) {
      const meter = () => new RateMeter({ windowMs: fpsWindowMs, now });
      s = {
        state: null, stateSince: null, decoded: 0, inferred: 0, dropped: 0, events: 0, lost: 0, lastFrameAt: null, totalFrames: null,
        decodeFps: meter(), inferenceFps: meter(), e2eFps: meter(), latency: new SlidingQuantiles(latencyWindow),
      };
      streams.set(id, s);
    }
    return s;
  }

  const framesDecoded = new Counter({ name: `${prefix}frames_decoded_total`, help: 'Frames decoded by ffmpeg, per stream', labelNames: ['stream'], registers });
  const framesInferred = new Counter({ name: `${prefix}frames_inferred_total`, help: 'Frames run through the model, per stream', labelNames: ['stream'], registers });
  const framesDroppedC = new Counter({
    name: `${prefix}frames_dropped_total`, help: 'Frames dropped under backpressure, per stream and stage', labelNames: ['stream', 'stage'], registers,
  });
  const framesLostC = new Counter({
    name: `${prefix}frames_lost_total`, help: 'Frames decoded but lost because their batch failed (worker died, inference threw), per stream and error code',
    labelNames: ['stream', 'code'], registers,
  });
  let engine: EngineStatsSource | null = null;
  const engineStats = () => {
    try {
      return engine?.stats?.() ?? null;
    } catch {
      return null;
    }
  };
  new Gauge({
    name: `${prefix}worker_tensors`, help: 'Tensors held by the inference worker threads after their last batch (tf.memory().numTensors, summed); a leak grows it', registers,
    collect() {
      const st = engineStats();
      if (st) this.set(st.tensors);
    },
  });
  new Gauge({
    name: `${prefix}worker_deaths`, help: 'Inference worker threads that died (and were replaced) since start', registers,
    collect() {
      const st = engineStats();
      if (st) this.set(st.workerDeaths);
    },
  });
  const tracksStarted = new Counter({ name: `${prefix}tracks_started_total`, help: 'Tracks confirmed (given an id), per stream', labelNames: ['stream'], registers });
  const tracksEnded = new Counter({ name: `${prefix}tracks_ended_total`, help: 'Tracks ended, per stream and reason (lost, duplicate, stream_ended)', labelNames: ['stream', 'reason'], registers });
  const tracksOpen = new Gauge({ name: `${prefix}tracks_open`, help: 'Confirmed tracks not ended yet (tracked or lost within the buffer), per stream', labelNames: ['stream'], registers });
  const zoneOccupancy = new Gauge({ name: `${prefix}zone_occupancy`, help: 'Tracks inside each zone now, per stream and zone', labelNames: ['stream', 'zone'], registers });
  const zoneEntries = new Counter({ name: `${prefix}zone_entries_total`, help: 'Tracks that entered each zone, per stream and zone', labelNames: ['stream', 'zone'], registers });
  const zoneExits = new Counter({ name: `${prefix}zone_exits_total`, help: 'Tracks that left each zone, per stream and zone', labelNames: ['stream', 'zone'], registers });
  const lineCrossings = new Counter({
    name: `${prefix}line_crossings_total`, help: 'Tracks that crossed each line, per stream, line and direction (in, out)', labelNames: ['stream', 'line', 'direction'], registers,
  });
  const eventsEmitted = new Counter({ name: `${prefix}events_emitted_total`, help: 'Detection events emitted, per stream', labelNames: ['stream'], registers });
  const stateGauge = new Gauge({
    name: `${prefix}stream_state`, help: 'Current stream state (1 for the current state, 0 for the others)', labelNames: ['stream', 'state'], registers,
  });
  new Gauge({
    name: `${prefix}stream_last_frame_age_milliseconds`, help: 'Time since the last decoded frame, per stream', labelNames: ['stream'], registers,
    collect() {
      const t = now();
      for (const [id, s] of streams) if (s.lastFrameAt !== null) this.set({ stream: id }, t - s.lastFrameAt);
    },
  });
  const latencyHist = new Histogram({
    name: `${prefix}event_latency_milliseconds`, help: 'End-to-end latency (capture to emit) of detection events, per stream',
    labelNames: ['stream'], buckets: LATENCY_BUCKETS_MS, registers,
  });
  new Gauge({
    name: `${prefix}event_latency_window_milliseconds`,
    help: `End-to-end latency quantiles over the last ${latencyWindow} events, per stream`, labelNames: ['stream', 'quantile'], registers,
    collect() {
      for (const [id, s] of streams) {
        const q = s.latency.quantiles();
        if (!q) continue;
        this.set({ stream: id, quantile: '0.5' }, q.p50);
        this.set({ stream: id, quantile: '0.95' }, q.p95);
        this.set({ stream: id, quantile: '0.99' }, q.p99);
      }
    },
  });
  const batchHist = new Histogram({ name: `${prefix}inference_batch_duration_milliseconds`, help: 'Model time per batch', buckets: BATCH_BUCKETS_MS, registers });
  const fillHist = new Histogram({ name: `${prefix}inference_batch_fill_ratio`, help: 'Frames per batch divided by the maximum batch size', buckets: FILL_BUCKETS, registers });
  new Gauge({
    name: `${prefix}stream_fps`, help: `Frames (decode, inference) or events (e2e) per second over ${fpsWindowMs} ms, per stream`,
    labelNames: ['stream', 'stage'], registers,
    collect() {
      for (const [id, s] of streams) {
        this.set({ stream: id, stage: 'decode' }, s.decodeFps.rate());
        this.set({ stream: id, stage: 'inference' }, s.inferenceFps.rate());
        this.set({ stream: id, stage: 'e2e' }, s.e2eFps.rate());
      }
    },
  });
  const sinkSeen = new Map<string, { written: number; dropped: number }>();
  const sinkWritten = new Counter({ name: `${prefix}sink_events_written_total`, help: 'Messages written by each sink', labelNames: ['sink'], registers, collect: () => readSinks() });
  const sinkDropped = new Counter({ name: `${prefix}sink_events_dropped_total`, help: 'Messages dropped by each sink', labelNames: ['sink'], registers, collect: () => readSinks() });
  const sinkStat = new Gauge({
    name: `${prefix}sink_stat`, help: 'Other counters a sink reports (clients, buffered bytes...)', labelNames: ['sink', 'stat'], registers,
    collect: () => readSinks(),
  });

  // Counters only go up: add what each sink's stats grew by since the last read.
  function readSinks(): void {
    for (const sink of sinks) {
      const st = safeStats(sink);
      const seen = sinkSeen.get(sink.name) ?? { written: 0, dropped: 0 };
      if (st.written > seen.written) sinkWritten.inc({ sink: sink.name }, st.written - seen.written);
      if (st.dropped > seen.dropped) sinkDropped.inc({ sink: sink.name }, st.dropped - seen.dropped);
      sinkSeen.set(sink.name, { written: Math.max(seen.written, st.written), dropped: Math.max(seen.dropped, st.dropped) });
      for (const [k, v] of Object.entries(st)) {
        if (k !== 'written' && k !== 'dropped' && Number.isFinite(v)) sinkStat.set({ sink: sink.name, stat: k }, v);
      }
    }
  }

  function countDropped(streamId: string, count: number, stage = 'ingest'): void {
    if (!(count > 0)) return;
    stream(streamId).dropped += count;
    framesDroppedC.inc({ stream: streamId, stage }, count);
  }

  return {
    registry,
    frameDecoded(streamId) {
      const s = stream(streamId);
      s.decoded++;
      s.lastFrameAt = now();
      s.decodeFps.mark();
      framesDecoded.inc({ stream: streamId });
    },
    framesDropped: countDropped,
    batchInferred({ streamIds, maxBatch, durationMs }) {
      for (const id of streamIds) {
        const s = stream(id);
        s.inferred++;
        s.inferenceFps.mark();
        framesInferred.inc({ stream: id });
      }
      const fill = maxBatch > 0 ? streamIds.length / maxBatch : 0;
      batchCount++;
      batchFrames += streamIds.length;
      batchFillSum += fill;
      lastMaxBatch = maxBatch;
      batchTimes.add(durationMs);
      batchHist.observe(durationMs);
      fillHist.observe(fill);
    },
    observeEvent(event) {
      const s = stream(event.streamId);
      if (event.type === 'status') {
        if (s.state !== event.state) s.stateSince = now();
        s.state = event.state;
        for (const st of STREAM_STATES) stateGauge.set({ stream: event.streamId, state: st }, st === event.state ? 1 : 0);
        return;
      }
      if (event.type === 'error') {
        s.lost += event.frameNumbers.length;
        framesLostC.inc({ stream: event.streamId, code: event.code }, event.frameNumbers.length);
        return;
      }
      const labels = { stream: event.streamId };
      switch (event.type) {
        case 'track_started':
          tracksStarted.inc(labels);
          tracksOpen.inc(labels);
          return;
        case 'track_ended':
          tracksEnded.inc({ ...labels, reason: event.reason });
          tracksOpen.dec(labels);
          return;
        case 'zone_enter':
        case 'zone_exit':
          (event.type === 'zone_enter' ? zoneEntries : zoneExits).inc({ ...labels, zone: event.zone });
          zoneOccupancy.set({ ...labels, zone: event.zone }, event.occupancy);
          return;
        case 'line_cross':
          lineCrossings.inc({ ...labels, line: event.line, direction: event.direction });
          return;
      }
      countDropped(event.streamId, event.droppedFrames, 'live');
      s.events++;
      s.e2eFps.mark();
      s.latency.add(event.latencyMs);
      eventsEmitted.inc({ stream: event.streamId });
      latencyHist.observe({ stream: event.streamId }, event.latencyMs);
    },
    setStreamTotal(streamId, totalFrames) {
      stream(streamId).totalFrames = totalFrames > 0 ? totalFrames : null;
    },
    watchSink(sink) {
      if (!sinks.includes(sink)) sinks.push(sink);
    },
    watchEngine(e) {
      engine = e;
    },
    latencyQuantiles(streamId) {
      return streams.get(streamId)?.latency.quantiles() ?? null;
    },
    snapshot() {
      const t = now();
      return {
        time: t,
        streams: [...streams].map(([streamId, s]) => ({
          streamId,
          state: s.state,
          framesDecoded: s.decoded,
          framesInferred: s.inferred,
          framesDropped: s.dropped,
          eventsEmitted: s.events,
          lastFrameAgeMs: s.lastFrameAt === null ? null : t - s.lastFrameAt,
          stateAgeMs: s.stateSince === null ? null : t - s.stateSince,
          framesLost: s.lost,
          decodeFps: s.decodeFps.rate(),
          inferenceFps: s.inferenceFps.rate(),
          e2eFps: s.e2eFps.rate(),
          latency: s.latency.quantiles(),
          totalFrames: s.totalFrames,
        })),
        batches: {
          count: batchCount,
          meanFill: batchCount ? batchFillSum / batchCount : 0,
          meanFrames: batchCount ? batchFrames / batchCount : 0,
          maxBatch: lastMaxBatch,
          durationMs: batchTimes.quantiles(),
        },
        sinks: sinks.map((sink) => ({ name: sink.name, stats: safeStats(sink) })),
        framesLost: [...streams.values()].reduce((n, st) => n + st.lost, 0),
        engine: engineStats(),
      };
    },
  };
}

function safeStats(sink: Sink): SinkStats {
  try {
    return sink.stats();
  } catch {
    return { written: 0, dropped: 0 };
  }
}
