// Supervision of the inference worker threads, with real workers and a real (tiny) model: a worker
// terminated with a batch in flight fails exactly that batch and is replaced; a batch that throws
// fails alone; too many deaths fail the pool; a worker refuses weights other than the main thread's.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { CanvasBatch } from '../../../src/model/detector.ts';
import { DetectorPool } from '../../../src/model/workers/detectorPool.ts';
import { waitFor } from '../../helpers/waitFor.ts';
import { makeTinyModel } from '../../helpers/tinyModel.ts';

const W = 160;
const H = 96;
function batch(count = 2): CanvasBatch {
  const data = new Uint8Array(W * H * 3 * count).map((_, i) => (i * 37) % 256);
  return { data, count, width: W, height: H, geometry: Array.from({ length: count }, () => ({ resized: [H, W] as [number, number], source: [H, W] as [number, number] })) };
}

describe('DetectorPool supervision', () => {
  let model: { dir: string; hash: string };
  before(async () => (model = await makeTinyModel()));
  after(() => model && rmSync(model.dir, { recursive: true, force: true }));

  it('rejects the in-flight batch of a terminated worker with RS_ERR_WORKER_DIED, replaces the worker and goes on', { timeout: 120_000 }, async () => {
    const deaths: string[] = [];
    const pool = await DetectorPool.create(model.dir, 2, { expectedHash: model.hash, onWorkerDeath: (d) => deaths.push(`worker ${d.worker}: ${d.batches} batch(es)`) });
    try {
      const before = await pool.detectCanvases(batch());
      assert.equal(before.length, 2);
      const inFlight = pool.detectCanvases(batch());
      const busy = pool.inFlight().findIndex((n) => n === 1);
      assert.ok(busy >= 0, `a worker holds the batch: ${pool.inFlight()}`);
      await pool.terminateWorker(busy);
      await assert.rejects(inFlight, { code: 'RS_ERR_WORKER_DIED', message: new RegExp(`inference worker ${busy} died .*its batch of 2 frame\\(s\\) is lost`) });
      assert.deepEqual(deaths, [`worker ${busy}: 1 batch(es)`]);
      assert.equal(pool.deathsTotal(), 1);
      // batches sent meanwhile go to the other worker; the replacement comes back
      assert.equal((await pool.detectCanvases(batch(1))).length, 1);
      await waitFor('the dead worker to be replaced', () => pool.inFlight().every((n) => n !== null), 60_000);
      const results = await Promise.all([pool.detectCanvases(batch()), pool.detectCanvases(batch())]);
      assert.deepEqual(results.map((r) => r.length), [2, 2]);
      assert.deepEqual(results[0], before, 'the replacement gives the same detections');
    } finally {
      await pool.close();
    }
  });

  it('a batch that throws in the worker fails alone (RS_ERR_BATCH_FAILED); no tensor is leaked', { timeout: 120_000 }, async () => {
    const pool = await DetectorPool.create(model.dir, 1, { expectedHash: model.hash });
    try {
      await pool.detectCanvases(batch());
      const tensors = pool.tensors();
      assert.ok(tensors > 0, 'the model weights are tensors held by the worker');
      const bad = { ...batch(), count: 3 }; // says 3 canvases, holds 2
      await assert.rejects(pool.detectCanvases(bad), { code: 'RS_ERR_BATCH_FAILED', message: /inference of a batch of 3 frame\(s\) failed: / });
      assert.equal((await pool.detectCanvases(batch())).length, 2, 'the worker goes on');
      assert.equal(pool.tensors(), tensors, 'tensor count is back where it was');
      assert.equal(pool.deathsTotal(), 0);
    } finally {
      await pool.close();
    }
  });

  it('fails the pool after maxDeaths deaths in the window: pending and later batches get RS_ERR_WORKERS_FAILED', { timeout: 120_000 }, async () => {
    const pool = await DetectorPool.create(model.dir, 2, { expectedHash: model.hash, maxDeaths: 2, deathWindowMs: 60_000 });
    const failed = pool.failed.then((e) => e.code);
    await pool.terminateWorker(0);
    const pending = pool.detectCanvases(batch());
    await pool.terminateWorker(1);
    assert.equal(await failed, 'RS_ERR_WORKERS_FAILED');
    await assert.rejects(pending, { code: /RS_ERR_WORKER(S_FAILED|_DIED)/ });
    await assert.rejects(pool.detectCanvases(batch()), { code: 'RS_ERR_WORKERS_FAILED', message: /2 inference worker deaths within 60 s/ });
    await pool.close();
  });

  it('a worker refuses to start on weights other than the ones the main thread hashed', { timeout: 120_000 }, async () => {
    await assert.rejects(DetectorPool.create(model.dir, 1, { expectedHash: 'sha256:0000000000000000' }), {
      code: 'RS_ERR_WORKERS_FAILED',
      message: /the weights changed during start-up \(the main thread read sha256:0000000000000000, this worker read sha256:[0-9a-f]{16}\)/,
    });
  });
});
