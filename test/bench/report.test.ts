// bench pipeline's text: each target is judged on the unrounded figure (a ratio of 0.9496 prints as 0.950
// but is not met), and the last line counts the targets met among those measured.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatPipelineBench, type PipelineBenchReport } from '../../src/bench/report.ts';
import { summarize } from '../../src/bench/quantiles.ts';

function report(e2eRatio: number, wsP99: number, kafka: number): PipelineBenchReport {
  const engine = { frames: 600, batches: 150, batchSize: 4, seconds: 30, fps: 20, meanBatchMs: 380 };
  return {
    setup: { input: 'demo.mp4', streams: 4, fileSeconds: 10, model: { dir: 'm', origin: 'demo', name: 'demo', hash: 'sha256:0', depth: 18, headConvs: 2, numClasses: 7 }, engine: 'tensorflow', canvas: [640, 384], maxBatch: 4, maxWaitMs: 40, minScore: 0.3 },
    throughput: { engineFps: 20, e2eFps: 20 * e2eRatio, ratio: e2eRatio, meanBatchFill: 1, meanBatchMs: 390, events: 1200, inputFps: 15, meanDetections: 8, engine, e2eRunsFps: [19, 19.2], engineRunsFps: [20] },
    live: { streams: 3, seconds: 60, offeredFps: 45, processedFps: 19, latencyMs: summarize([300, 410]), waitMs: summarize([40]), batchMs: summarize([290]), meanBatchMs: 280, p99OverBatch: 410 / 280, decoded: 2700, dropped: 1500, events: 1150 },
    wsFanout: { clients: 500, latencyMs: summarize([8, wsP99]), delivered: 600000, expected: 600000, dropped: 0, fpsWithout: 20, fpsWith: 19.4, fpsWithRuns: [19.2, 19.6], ratio: 0.97, serverWriteMs: summarize([9, 20]), clientProcesses: 1, clientsImpl: 'c', clientsCpuMs: 2000, seconds: 31 },
    kafka: [
      { bootstrap: '127.0.0.1:9092', topic: 'bench', events: 20000, acked: 20000, dropped: 0, detections: 10, bytesPerEvent: 1157, seconds: 20000 / kafka, eventsPerSec: kafka },
      { bootstrap: '127.0.0.1:9092', topic: 'bench', events: 20000, acked: 20000, dropped: 0, detections: 100, bytesPerEvent: 8519, seconds: 2.7, eventsPerSec: 7400 },
    ],
  } as PipelineBenchReport;
}

test('every target met: each says so, and the summary counts 5 of 5', () => {
  const text = formatPipelineBench(report(0.953, 34, 27000));
  assert.match(text, /ratio 0\.953 \(target >= 0\.95: met\)/);
  assert.match(text, /p99 = 1\.46x batch time \(target < 2: met\)/);
  assert.match(text, /\(target p99 < 50 ms: met\)/);
  assert.match(text, /fps 19\.4 with \(runs 19\.2\/19\.6\) vs 20\.0 without: ratio 0\.970 \(target >= 0\.95: met\)/);
  assert.match(text, /\(target >= 20000: met\)/);
  assert.match(text, /\ntargets: 5 of 5 met in this run$/);
});

test('a ratio that would round up to the target is not met; the summary counts the misses', () => {
  const text = formatPipelineBench(report(0.9496, 50, 19999));
  assert.match(text, /ratio 0\.950 \(target >= 0\.95: NOT met\)/);
  assert.match(text, /\(target p99 < 50 ms: NOT met\)/);
  assert.match(text, /\(target >= 20000: NOT met\)/);
  assert.match(text, /\ntargets: 2 of 5 met in this run$/);
});

test('skipped sections are not counted', () => {
  const r = { ...report(0.96, 30, 25000), live: { skipped: '--live-seconds 0' }, kafka: { skipped: '--no-kafka' } } as PipelineBenchReport;
  assert.match(formatPipelineBench(r), /\ntargets: 3 of 3 met in this run$/);
});
