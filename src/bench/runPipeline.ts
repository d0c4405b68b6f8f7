// One benchmark run of the streaming pipeline: inputs until they end (files) or for a fixed time (live),
// every event written to the given sinks, with the figures a benchmark reports: detection events/s,
// batch fill and time, event latency, dropped frames, and one full batch of real canvases for the
// engine-only comparison.
import type { CanvasBatch } from '../model/detector.ts';
import type { InferenceEngine } from '../model/engine.ts';
import { canvasBatch, type InferResult } from '../pipeline/inferStage.ts';
import { createPipeline, type PipelineInput, type PipelineOptions } from '../pipeline/pipeline.ts';
import { connectPipeline } from '../pipeline/connect.ts';
import type { DetectionEvent, PipelineEvent, Sink } from '../pipeline/types.ts';

export interface BenchRunOptions {
  inputs: PipelineInput[];
  engine: InferenceEngine;
  canvas: { width: number; height: number };
  maxBatch: number;
  maxWaitMs: number;
  source?: PipelineOptions['source'];
  /** Every event goes to these sinks (in order), like `retinastream run` does. */
  sinks?: Sink[];
  /** Stop the pipeline after this long (live inputs); files run to their end without it. */
  durationMs?: number;
  /** Called with each detection event, after the sinks. */
  onDetections?: (e: DetectionEvent) => void;
}

export interface BenchRunResult {
  /** Detection events emitted (one per processed frame). */
  events: number;
  /** From the first decoded frame to the last detection event. */
  seconds: number;
  /** events / seconds. */
  fps: number;
  batches: number;
  /** Mean of frames-in-batch / maxBatch. */
  meanFill: number;
  /** Inference time of each batch (ms). */
  batchMs: number[];
  /** latencyMs of every detection event (capture by ffmpeg to emit). */
  latencyMs: number[];
  /** Of each event's latency, the part before its batch went onto the engine (latency - batch time). */
  waitMs: number[];
  /** Frames decoded by the sources. */
  decoded: number;
  /** Frames dropped under backpressure (sum of the events' droppedFrames). */
  dropped: number;
  /** Frames per second of the input, from the events' pts (NaN when unknown). */
  inputFps: number;
  /** Detections per event, mean. */
  meanDetections: number;
  /** Full batches (maxBatch real canvases) of this run, for the engine-only run: every one up to
   *  SAMPLE_BATCHES, past that a uniform sample of them (empty if no batch was full). The engine is timed
   *  on the same frames as the pipeline: post-processing costs more on frames with more objects. */
  sampleBatches: CanvasBatch[];
  /** One detection event, for payload sizes. */
  sampleEvent: DetectionEvent | null;
}

/** Most full batches a run keeps for the engine-only run. */
export const SAMPLE_BATCHES = 64;

export async function runBenchPipeline(o: BenchRunOptions): Promise<BenchRunResult> {
  const batchMs: number[] = [];
  let fillSum = 0;
  const sampleBatches: CanvasBatch[] = [];
  let fullBatches = 0;
  const waitMs: number[] = [];
  const onBatch = (r: InferResult) => {
    if (r.error) return;
    for (const e of r.events) if (e.type === 'detections') waitMs.push(e.latencyMs - r.inferMs);
    batchMs.push(r.inferMs);
    fillSum += r.batch.frames.length / o.maxBatch;
    if (r.batch.frames.length !== o.maxBatch) return;
    // reservoir sampling: each full batch is kept with the same probability
    const slot = fullBatches < SAMPLE_BATCHES ? fullBatches : Math.floor(Math.random() * (fullBatches + 1));
    fullBatches++;
    if (slot < SAMPLE_BATCHES) sampleBatches[slot] = canvasBatch(r.batch);
  };
  const pipeline = createPipeline({ inputs: o.inputs, engine: o.engine, canvas: o.canvas, maxBatch: o.maxBatch, maxWaitMs: o.maxWaitMs, source: o.source });
  pipeline.results$.subscribe({ next: onBatch, error: () => {} });
  let firstFrameAt: number | null = null;
  for (const s of pipeline.sources) s.frameReady$.subscribe(() => (firstFrameAt ??= performance.now()));
  const latencyMs: number[] = [];
  const pts = new Map<string, { first: number; last: number; n: number }>();
  let events = 0;
  let dropped = 0;
  let detections = 0;
  let lastEventAt = 0;
  let sampleEvent: DetectionEvent | null = null;
  const onEvent = (e: PipelineEvent) => {
    if (e.type !== 'detections') return;
    lastEventAt = performance.now();
    events++;
    dropped += e.droppedFrames;
    detections += e.detections.length;
    latencyMs.push(e.latencyMs);
    sampleEvent ??= e;
    const p = pts.get(e.streamId);
    if (!p) pts.set(e.streamId, { first: e.pts, last: e.pts, n: 1 + e.droppedFrames });
    else (p.last = e.pts), (p.n += 1 + e.droppedFrames);
    o.onDetections?.(e);
  };
  // the sinks as `retinastream run` wires them (metrics aside), then the bench's own counters
  connectPipeline(pipeline, { sinks: o.sinks ?? [], maxBatch: o.maxBatch, observers: [{ next: onEvent }] });
  pipeline.start();
  const timer = o.durationMs === undefined ? null : setTimeout(() => void pipeline.stop(), o.durationMs);
  await pipeline.done;
  if (timer) clearTimeout(timer);
  await pipeline.stop();
  const seconds = firstFrameAt === null || events === 0 ? 0 : (lastEventAt - firstFrameAt) / 1000;
  const rates = [...pts.values()].filter((p) => p.n > 1 && p.last > p.first).map((p) => (p.n - 1) / (p.last - p.first));
  return {
    events,
    seconds,
    fps: seconds > 0 ? events / seconds : 0,
    batches: batchMs.length,
    meanFill: batchMs.length ? fillSum / batchMs.length : 0,
    batchMs,
    latencyMs,
    waitMs,
    decoded: pipeline.sources.reduce((n, s) => n + s.stats().decoded, 0),
    dropped,
    inputFps: rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : NaN,
    meanDetections: events ? detections / events : 0,
    sampleBatches,
    sampleEvent,
  };
}

/**
 * Two runs of the same inputs as one (reduce over more): counts and samples added up, fps over both runs'
 * time. A benchmark runs the reference before and after what it compares with it, so that a load that
 * changes linearly (on a shared machine) weighs on both sides of the ratio alike.
 */
export function combineRuns(a: BenchRunResult, b: BenchRunResult): BenchRunResult {
  const events = a.events + b.events;
  const seconds = a.seconds + b.seconds;
  const batches = a.batches + b.batches;
  const rates = [a.inputFps, b.inputFps].filter(Number.isFinite);
  return {
    events,
    seconds,
    fps: seconds > 0 ? events / seconds : 0,
    batches,
    meanFill: batches ? (a.meanFill * a.batches + b.meanFill * b.batches) / batches : 0,
    batchMs: [...a.batchMs, ...b.batchMs],
    latencyMs: [...a.latencyMs, ...b.latencyMs],
    waitMs: [...a.waitMs, ...b.waitMs],
    decoded: a.decoded + b.decoded,
    dropped: a.dropped + b.dropped,
    inputFps: rates.length ? rates.reduce((x, y) => x + y, 0) / rates.length : NaN,
    meanDetections: events ? (a.meanDetections * a.events + b.meanDetections * b.events) / events : 0,
    sampleBatches: a.sampleBatches.length ? a.sampleBatches : b.sampleBatches,
    sampleEvent: a.sampleEvent ?? b.sampleEvent,
  };
}
