// `retinastream bench pipeline` on a tiny model and a short clip: not timing anything, but checking that
// the figures it prints are about the runs it says it made (counts add up, ratios are of the printed fps).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { PipelineBenchReport } from '../../../src/bench/report.ts';
import { makeVideo, tempDir } from '../../helpers/media.ts';
import { makeTinyModel } from '../../helpers/tinyModel.ts';
import { runCli, stderrLines } from '../cliProcess.ts';

describe('retinastream bench pipeline', () => {
  let tmp: { dir: string; cleanup: () => void };
  let model: { dir: string; hash: string };
  let clip: string;
  before(async () => {
    tmp = tempDir('rs-cli-bench-');
    [model, clip] = await Promise.all([makeTinyModel(), makeVideo(tmp.dir, 'clip', { width: 200, height: 120, fps: 10, frames: 12 })]);
  });
  after(() => {
    tmp?.cleanup();
    if (model) rmSync(model.dir, { recursive: true, force: true });
  });

  it('--json reports throughput, live latency and ws fan-out figures that match the runs', { timeout: 180_000 }, async () => {
    const clients = 5;
    const r = await runCli(
      ['bench', 'pipeline', '--model', model.dir, '--input', clip, '--streams', '2', '--canvas', '160x96', '--workers', '1',
        '--rounds', '2', '--live-seconds', '2', '--live-streams', '2', '--ws-clients', String(clients), '--ws-client-processes', '2', '--no-kafka', '--json'],
      { timeoutMs: 170_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'one JSON object');
    const rep = JSON.parse(lines[0]) as PipelineBenchReport;
    assert.deepEqual([rep.setup.model.origin, rep.setup.model.hash, rep.setup.streams, rep.setup.canvas], ['given', model.hash, 2, [160, 96]]);
    assert.equal(rep.setup.minScore, 0.3, "run's default score threshold");

    const t = rep.throughput;
    assert.equal(t.events, 3 * 2 * 12, 'end-to-end, run three times (--rounds 2): one event per frame of each stream');
    assert.equal(t.e2eRunsFps.length, 3);
    assert.ok(t.e2eRunsFps.every((f) => f > 0));
    assert.equal(t.engineRunsFps.length, 2, 'one engine-only run per round');
    assert.equal(t.engine.frames, t.engine.batches * 4, 'engine-only runs full batches');
    assert.equal(t.engine.batches, 2 * Math.ceil(2 * 12 / 4), 'each engine-only run has as many batches as a file run');
    assert.ok(Math.min(...t.engineRunsFps) <= t.engineFps && t.engineFps <= Math.max(...t.engineRunsFps), 'engine fps over both runs');
    assert.ok(Math.min(...t.e2eRunsFps) <= t.e2eFps && t.e2eFps <= Math.max(...t.e2eRunsFps), 'end-to-end fps over all runs');
    assert.ok(t.engineFps > 0 && t.e2eFps > 0);
    assert.ok(Math.abs(t.ratio - t.e2eFps / t.engineFps) < 1e-9);
    assert.ok(t.meanBatchFill > 0 && t.meanBatchFill <= 1, `fill ${t.meanBatchFill}`);
    assert.ok(Math.abs(t.inputFps - 10) < 0.5, `input rate ${t.inputFps} from the clip's timestamps`);

    assert.ok(!('skipped' in rep.live));
    const l = rep.live as Exclude<PipelineBenchReport['live'], { skipped: string }>;
    assert.equal(l.streams, 2);
    assert.ok(l.events > 0 && l.latencyMs.count === l.events);
    assert.ok(l.latencyMs.p50 <= l.latencyMs.p95 && l.latencyMs.p95 <= l.latencyMs.p99 && l.latencyMs.p99 <= l.latencyMs.max);
    assert.ok(l.events + l.dropped <= l.decoded, `${l.events} processed + ${l.dropped} dropped <= ${l.decoded} decoded`);
    assert.ok(Math.abs(l.p99OverBatch - l.latencyMs.p99 / l.meanBatchMs) < 1e-9);
    assert.equal(l.waitMs.count, l.events);
    assert.ok(l.waitMs.p50 >= 0 && l.waitMs.p99 <= l.latencyMs.max, 'the wait is part of the latency');

    assert.ok(!('skipped' in rep.wsFanout));
    const w = rep.wsFanout as Exclude<PipelineBenchReport['wsFanout'], { skipped: string }>;
    assert.equal(w.fpsWithRuns.length, 2, 'the run with clients, once per round (--rounds 2)');
    assert.ok(Math.min(...w.fpsWithRuns) <= w.fpsWith && w.fpsWith <= Math.max(...w.fpsWithRuns), 'fps with clients over both runs');
    assert.equal(w.expected, 2 * 2 * 12 * clients, 'every event of both runs to every client');
    assert.equal(w.delivered + w.dropped, w.expected);
    assert.equal(w.latencyMs.count, w.delivered);
    assert.equal(w.fpsWithout, t.e2eFps);
    assert.ok(w.clientsCpuMs > 0, "the clients' processes report their CPU time");
    assert.equal(w.clientProcesses, 2, 'the clients spread over two processes');
    assert.equal(w.serverWriteMs.count, 2 * 2 * 12, "the server's write timed once per detections event");
    // not compared with the delivery latency: an event's write time runs to the end of its tick, so it includes
    // the writes of the events after it in the same batch, which its own clients need not wait for
    assert.ok(w.serverWriteMs.p50 >= 0 && Number.isFinite(w.serverWriteMs.max), 'write times are durations');
    assert.deepEqual(rep.kafka, { skipped: '--no-kafka' });
  });

  it('rejects a canvas that is not a multiple of 32 in one line', { timeout: 60_000 }, async () => {
    const r = await runCli(['bench', 'pipeline', '--model', model.dir, '--canvas', '100x50']);
    assert.equal(r.code, 2);
    assert.deepEqual(stderrLines(r), ['retinastream: --canvas: 100x50 must be multiples of 32 in [32, 4096]']);
  });
});
