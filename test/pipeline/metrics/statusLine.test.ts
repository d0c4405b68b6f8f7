import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from '../../../src/pipeline/metrics/metrics.ts';
import { formatProgressBar, formatStatusLine } from '../../../src/pipeline/metrics/statusLine.ts';
import type { DetectionEvent } from '../../../src/pipeline/types.ts';

test('progress bar: filled cells and percent round down, counts and fps as given', () => {
  assert.equal(formatProgressBar(1234, 2400, 24.06), '[#####.....] 51% 1234/2400 frames 24.1 fps');
  assert.equal(formatProgressBar(0, 2400, 0), '[..........] 0% 0/2400 frames 0.0 fps');
  assert.equal(formatProgressBar(2399, 2400, 30), '[#########.] 99% 2399/2400 frames 30.0 fps');
  assert.equal(formatProgressBar(2400, 2400, 30), '[##########] 100% 2400/2400 frames 30.0 fps');
  assert.equal(formatProgressBar(5, 4, 1, { width: 4, unit: 'f' }), '[####] 100% 5/4 f 1.0 fps');
  assert.equal(formatProgressBar(3, 0, 1), '[..........] 0% 3/0 frames 1.0 fps');
});

function event(streamId: string, latencyMs: number): DetectionEvent {
  const t = new Date(0).toISOString();
  return {
    schemaVersion: 1, type: 'detections', streamId, frameNumber: 0, pts: 0, captureTime: t, emitTime: t, latencyMs,
    source: { width: 1, height: 1 }, model: { name: 'm', weightsHash: 'h' }, detections: [], droppedFrames: 0,
  };
}

test('status line: one part per stream (progress bar for files), then batches and sinks', () => {
  let t = 0;
  const metrics = createMetrics({ defaultMetrics: false, now: () => t });
  metrics.observeEvent({ schemaVersion: 1, type: 'status', streamId: 'cam1', state: 'live', previousState: null, time: '' });
  metrics.setStreamTotal('clip', 10);
  // 2 s: cam1 decodes and emits 20 frames, clip emits 5
  for (let i = 0; i < 20; i++) {
    metrics.frameDecoded('cam1');
    metrics.batchInferred({ streamIds: ['cam1'], maxBatch: 2, durationMs: 20 });
    metrics.observeEvent(event('cam1', 100 + i));
    if (i % 4 === 0) metrics.observeEvent(event('clip', 50));
    t += 100;
  }
  metrics.framesDropped('cam1', 2);
  metrics.observeEvent({ schemaVersion: 1, type: 'error', streamId: 'cam1', code: 'RS_ERR_WORKER_DIED', message: 'worker died', frameNumbers: [7, 8, 9], time: '' });
  metrics.watchSink({ name: 'ws', write() {}, close: async () => {}, stats: () => ({ written: 7, dropped: 1, clients: 2 }) });
  assert.equal(
    formatStatusLine(metrics.snapshot()),
    'cam1 live 10.0/10.0/10.0 fps lat 109/118/119 ms drop 2 lost 3 | clip [#####.....] 50% 5/10 frames 2.5 fps lat 50/50/50 ms' +
      ' | batch 1.0/2 20 ms | ws 2 clients 7 sent 1 dropped',
  );
  assert.equal(formatStatusLine(createMetrics({ defaultMetrics: false }).snapshot()), 'no streams yet');
});
