// What `retinastream bench pipeline` reports: the figures of each section, and their text form.
import type { EngineFpsResult } from './engineFps.ts';
import type { KafkaRateResult } from './kafkaRate.ts';
import type { LatencySummary } from './quantiles.ts';

export interface PipelineBenchReport {
  setup: {
    input: string;
    streams: number;
    /** Seconds of the file each stream reads in the throughput runs. */
    fileSeconds: number;
    model: { dir: string; origin: 'given' | 'demo' | 'generated'; name: string; hash: string; depth: number; headConvs: number; numClasses: number };
    engine: string;
    canvas: [number, number];
    maxBatch: number;
    maxWaitMs: number;
    /** The engine's score threshold (run's default unless --min-score). */
    minScore: number;
  };
  throughput: {
    engineFps: number;
    e2eFps: number;
    /** e2e / engine; target >= 0.95. */
    ratio: number;
    meanBatchFill: number;
    meanBatchMs: number;
    events: number;
    inputFps: number;
    meanDetections: number;
    engine: EngineFpsResult;
    /** fps of each end-to-end run: the first, then one after each engine-only run (e2eFps is over all). */
    e2eRunsFps: number[];
    /** fps of each engine-only run (--rounds; engineFps is over all). */
    engineRunsFps: number[];
  };
  live:
    | {
        streams: number;
        seconds: number;
        offeredFps: number;
        processedFps: number;
        latencyMs: LatencySummary;
        /** The part of the latency before the frame's batch went onto the engine. */
        waitMs: LatencySummary;
        /** Batch times of the live run. */
        batchMs: LatencySummary;
        meanBatchMs: number;
        /** p99 latency / mean batch time; target < 2. */
        p99OverBatch: number;
        decoded: number;
        dropped: number;
        events: number;
      }
    | { skipped: string };
  wsFanout:
    | {
        clients: number;
        latencyMs: LatencySummary;
        delivered: number;
        expected: number;
        dropped: number;
        fpsWithout: number;
        fpsWith: number;
        /** fps of each run with clients (--rounds; fpsWith is over all). */
        fpsWithRuns: number[];
        /** with / without; target >= 0.95. */
        ratio: number;
        /** The sink's write() of one event to every client: the server's own part of the latency. */
        serverWriteMs: LatencySummary;
        /** Processes the clients ran in (default 1), and which clients: C on epoll, or the ws package's. */
        clientProcesses: number;
        clientsImpl: 'c' | 'node';
        /** CPU time the clients' own processes took during the run (not the pipeline's, but the same cores). */
        clientsCpuMs: number;
        /** Seconds of the run with clients. */
        seconds: number;
      }
    | { skipped: string };
  /** One figure per event size (10 and 100 detections). */
  kafka: KafkaRateResult[] | { skipped: string };
}


export const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
export const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const f3 = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : 'n/a');
/** The targets of `bench pipeline` (the pipeline issue's), each checked on the unrounded figure. */
const PIPELINE_TARGETS = { e2eRatio: 0.95, liveP99OverBatch: 2, wsRatio: 0.95, wsP99Ms: 50, kafkaEventsPerSec: 20000 };
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

export function formatPipelineBench(r: PipelineBenchReport): string {
  const s = r.setup;
  const t = r.throughput;
  const T = PIPELINE_TARGETS;
  const checked: boolean[] = [];
  const check = (ok: boolean) => (checked.push(ok), verdict(ok));
  const lines = [
    `model ${s.model.name} (${s.model.origin === 'generated' ? `random weights, generated in ${s.model.dir}` : `${s.model.origin}: ${s.model.dir}`}, ${s.model.hash}) on ${s.engine}`,
    `architecture ResNet-${s.model.depth}-FPN, ${s.model.headConvs} conv(s) per head, ${s.model.numClasses} classes`,
    `input ${s.input} (first ${s.fileSeconds} s) x${s.streams} streams, canvas ${s.canvas[0]}x${s.canvas[1]}, batch <= ${s.maxBatch} / ${s.maxWaitMs} ms, score >= ${s.minScore}`,
    `throughput: engine-only ${f1(t.engineFps)} fps (${t.engine.frames} frames, batch ${t.engine.batchSize}, ${f1(t.engine.meanBatchMs)} ms/batch` +
      `${t.engineRunsFps.length > 1 ? `; runs ${t.engineRunsFps.map(f1).join('/')}` : ''}), ` +
      `end-to-end ${f1(t.e2eFps)} fps (runs ${t.e2eRunsFps.map(f1).join('/')}; ${t.events} events, ${f1(t.meanDetections)} detections each, ${f1(t.meanBatchMs)} ms/batch); ratio ${f3(t.ratio)} (target >= ${T.e2eRatio}: ${check(t.ratio >= T.e2eRatio)}); mean batch fill ${f2(t.meanBatchFill)}`,
  ];
  if ('skipped' in r.live) lines.push(`live: skipped (${r.live.skipped})`);
  else {
    const l = r.live;
    lines.push(
      `live: ${l.streams} stream(s) at native rate for ${f1(l.seconds)} s, offered ${f1(l.offeredFps)} fps, processed ${f1(l.processedFps)} fps; ` +
        `latency p50 ${f1(l.latencyMs.p50)} / p95 ${f1(l.latencyMs.p95)} / p99 ${f1(l.latencyMs.p99)} / max ${f1(l.latencyMs.max)} ms vs batch ${f1(l.meanBatchMs)} ms ` +
        `(before inference p50 ${f1(l.waitMs.p50)} / p99 ${f1(l.waitMs.p99)} ms; batch time p50 ${f1(l.batchMs.p50)} / p99 ${f1(l.batchMs.p99)} ms): ` +
        `p99 = ${f2(l.p99OverBatch)}x batch time (target < ${T.liveP99OverBatch}: ${check(l.p99OverBatch < T.liveP99OverBatch)}); dropped ${l.dropped} of ${l.decoded} decoded frames`,
    );
  }
  if ('skipped' in r.wsFanout) lines.push(`ws fan-out: skipped (${r.wsFanout.skipped})`);
  else {
    const w = r.wsFanout;
    lines.push(
      `ws fan-out: ${w.clients} clients, delivered ${w.delivered}/${w.expected} (dropped ${w.dropped}); delivery latency p50 ${f1(w.latencyMs.p50)} / p99 ${f1(w.latencyMs.p99)} / max ${f1(w.latencyMs.max)} ms (target p99 < ${T.wsP99Ms} ms: ${check(w.latencyMs.p99 < T.wsP99Ms)}) ` +
        `(the server's write of an event to all clients p50 ${f1(w.serverWriteMs.p50)} / p99 ${f1(w.serverWriteMs.p99)} ms); ` +
        `fps ${f1(w.fpsWith)} with${w.fpsWithRuns.length > 1 ? ` (runs ${w.fpsWithRuns.map(f1).join('/')})` : ''} vs ${f1(w.fpsWithout)} without: ratio ${f3(w.ratio)} (target >= ${T.wsRatio}: ${check(w.ratio >= T.wsRatio)}); the clients' ${w.clientProcesses} process(es) (${w.clientsImpl === 'c' ? 'C' : 'ws package'}) used ${f1(w.clientsCpuMs / 10 / w.seconds)}% of a core`,
    );
  }
  if ('skipped' in r.kafka) lines.push(`kafka: skipped (${r.kafka.skipped})`);
  else {
    for (const k of r.kafka) {
      lines.push(
        `kafka: ${f1(k.eventsPerSec)} events/s acknowledged by ${k.bootstrap} (${k.acked}/${k.events} events of ${k.detections} detections, ${k.bytesPerEvent} bytes, ${k.dropped} dropped, ${f2(k.seconds)} s)` +
          (k.detections <= 10 ? ` (target >= ${T.kafkaEventsPerSec}: ${check(k.eventsPerSec >= T.kafkaEventsPerSec)})` : ''),
      );
    }
  }
  lines.push(`targets: ${checked.filter(Boolean).length} of ${checked.length} met in this run`);
  return lines.join('\n');
}
