import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeLrSchedule } from '../../../src/train/optim/lrSchedule.ts';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${a} != ${b}`);

test('paper schedule: lr 0.01, x0.1 at 60k and 80k of 90k, with detectron2/torchvision linear warmup', () => {
  const s = makeLrSchedule({ baseLr: 0.01, totalIters: 90000 });
  assert.deepEqual(s.milestoneIters, [60000, 80000]);
  // warmup: factor 0.001 at 0, linear to 1 at 1000: at 500, 0.001 * 0.5 + 0.5 = 0.5005
  close(s.lrAt(0), 0.01 * 0.001);
  close(s.lrAt(500), 0.01 * 0.5005);
  close(s.lrAt(1000), 0.01);
  close(s.lrAt(59999), 0.01);
  close(s.lrAt(60000), 0.001);
  close(s.lrAt(79999), 0.001);
  close(s.lrAt(80000), 0.0001);
  close(s.lrAt(89999), 0.0001);
});

test('schedule without warmup and with custom milestones; bad configs fail with RS_ERR_OPTIM_CONFIG', () => {
  const s = makeLrSchedule({ baseLr: 0.1, totalIters: 10, warmupIters: 0, milestones: [0.5], gamma: 0.5 });
  assert.deepEqual([0, 4, 5, 9].map((i) => s.lrAt(i)), [0.1, 0.1, 0.05, 0.05]);
  assert.throws(() => makeLrSchedule({ baseLr: 0.1, totalIters: 10, milestones: [0.8, 0.5] }), { code: 'RS_ERR_OPTIM_CONFIG', message: /must increase/ });
  assert.throws(() => makeLrSchedule({ baseLr: 0.1, totalIters: 10, milestones: [60000] }), { code: 'RS_ERR_OPTIM_CONFIG', message: /milestone 60000 must be a fraction/ });
  assert.throws(() => makeLrSchedule({ baseLr: 0, totalIters: 10 }), { code: 'RS_ERR_OPTIM_CONFIG', message: /baseLr 0/ });
  assert.throws(() => s.lrAt(-1), { code: 'RS_ERR_OPTIM_CONFIG', message: /iteration -1/ });
});
