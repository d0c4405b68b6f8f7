// The inference threads run below the event loop (backend/threadPriority.ts), with a real engine: the worker
// threads and the compute pools TensorFlow starts from the main thread (which run the workers' forward
// passes) are lowered, the main thread is not. Linux (/proc); elsewhere the feature is a no-op and skipped.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { threadNice } from '../../../src/backend/threadPriority.ts';
import type { CanvasBatch } from '../../../src/model/detector.ts';
import { createEngine } from '../../../src/model/engine.ts';
import { makeTinyModel } from '../../helpers/tinyModel.ts';

const W = 160;
const H = 96;
function batch(count = 4): CanvasBatch {
  const data = new Uint8Array(W * H * 3 * count).map((_, i) => (i * 37) % 256);
  return { data, count, width: W, height: H, geometry: Array.from({ length: count }, () => ({ resized: [H, W] as [number, number], source: [H, W] as [number, number] })) };
}

/** CPU time (clock ticks) of each thread of this process. */
function threadTicks(): Map<number, number> {
  const out = new Map<number, number>();
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const f = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
      out.set(Number(t), Number(fields[11]) + Number(fields[12])); // utime + stime
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

describe('inference thread priority', { skip: existsSync('/proc/self/task') ? false : 'not Linux' }, () => {
  let model: { dir: string; hash: string };
  before(async () => (model = await makeTinyModel()));
  after(() => model && rmSync(model.dir, { recursive: true, force: true }));

  it('lowers the threads that run the forward passes to inferenceNice and leaves the event loop alone', { timeout: 120_000 }, async () => {
    assert.equal(threadNice(process.pid), 0, 'the test starts at nice 0');
    const engine = await createEngine({ modelDir: model.dir, workers: 2, inferenceNice: 7 });
    try {
      await Promise.all([engine.detectCanvases(batch()), engine.detectCanvases(batch())]); // warm-up
      const t0 = threadTicks();
      const deadline = performance.now() + 3000;
      while (performance.now() < deadline) await Promise.all([engine.detectCanvases(batch()), engine.detectCanvases(batch())]);
      const t1 = threadTicks();
      let lowered = 0;
      let other = 0;
      const notLowered: string[] = [];
      for (const [tid, ticks] of t1) {
        if (tid === process.pid) continue;
        const used = ticks - (t0.get(tid) ?? 0);
        if (threadNice(tid) === 7) lowered += used;
        else if (used > 0) (other += used), notLowered.push(`${tid}: ${used} ticks at nice ${threadNice(tid)}`);
      }
      assert.equal(threadNice(process.pid), 0, 'the event loop keeps its priority');
      assert.ok(lowered > 0, 'the inference threads did the work');
      // the inference (worker threads, TensorFlow's pools) is all but all of the other threads' CPU time
      assert.ok(other <= 0.05 * (lowered + other), `threads left at the event loop's priority did ${other} of ${lowered + other} ticks: ${notLowered.join(', ')}`);
    } finally {
      await engine.close();
    }
  });
});
