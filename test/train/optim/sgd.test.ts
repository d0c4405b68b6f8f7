import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { SgdMomentum, isBiasOrNorm } from '../../../src/train/optim/sgd.ts';
import { makeLrSchedule, type LrSchedule } from '../../../src/train/optim/lrSchedule.ts';
import { assertClose, loadFixture, tensor, useBackend } from '../losses/tfTestUtil.ts';

const fx = loadFixture('sgd');

/** A schedule that replays the fixture's per-step learning rates. */
function replay(lrs: number[]): LrSchedule {
  const s = makeLrSchedule({ baseLr: 1, totalIters: lrs.length, milestones: [], warmupIters: 0 });
  return { ...s, lrAt: (i: number) => lrs[i] };
}

test('SgdMomentum equals torch.optim.SGD(momentum 0.9, weight_decay 1e-4), plain, nesterov, and without bias decay', async () => {
  await useBackend('wasm');
  for (const run of fx.runs) {
    const w = tf.variable(tensor(fx.w0), true, `w_${run.nesterov}_${run.decay_bias}`);
    const b = tf.variable(tensor(fx.b0), true, `b_${run.nesterov}_${run.decay_bias}`);
    const opt = new SgdMomentum({ schedule: replay(fx.lrs), nesterov: run.nesterov, skipDecay: run.decay_bias ? undefined : isBiasOrNorm });
    fx.grads.forEach((g: { w: never; b: never }, i: number) => {
      const info = opt.step({ [w.name]: tensor(g.w), [b.name]: tensor(g.b) });
      assert.equal(info.lr, fx.lrs[i]);
      assertClose(w, run.steps[i].w, 1e-5, `nesterov ${run.nesterov} step ${i} w`);
      assertClose(b, run.steps[i].b, 1e-5, `nesterov ${run.nesterov} decayBias ${run.decay_bias} step ${i} b`);
    });
    assert.equal(opt.iteration, fx.grads.length);
    opt.dispose();
  }
});

test('SgdMomentum state round-trips: a resumed optimizer continues exactly like the original', async () => {
  await useBackend('wasm');
  const schedule = replay(fx.lrs);
  const mk = (tag: string) => ({ w: tf.variable(tensor(fx.w0), true, `w_resume_${tag}`), b: tf.variable(tensor(fx.b0), true, `b_resume_${tag}`) });
  const a = mk('a');
  const optA = new SgdMomentum({ schedule });
  const grad = (v: { w: tf.Variable; b: tf.Variable }, i: number) => ({ [v.w.name]: tensor(fx.grads[i].w), [v.b.name]: tensor(fx.grads[i].b) });
  for (let i = 0; i < 2; i++) optA.step(grad(a, i));
  // checkpoint: weights + optimizer state, restored into fresh variables under new names
  const saved = optA.state();
  assert.equal(saved.iteration, 2);
  const c = mk('c');
  c.w.assign(a.w);
  c.b.assign(a.b);
  const renamed = { iteration: saved.iteration, buffers: new Map([[c.w.name, saved.buffers.get(a.w.name)!], [c.b.name, saved.buffers.get(a.b.name)!]]) };
  const optC = new SgdMomentum({ schedule });
  optC.loadState(renamed);
  for (let i = 2; i < 5; i++) {
    optA.step(grad(a, i));
    optC.step(grad(c, i));
  }
  assertClose(c.w, a.w.dataSync(), 1e-7, 'resumed w');
  assertClose(c.b, a.b.dataSync(), 1e-7, 'resumed b');
  assertClose(a.w, fx.runs[0].steps[4].w, 1e-5, 'original still matches torch');
  assert.throws(() => optC.loadState({ iteration: 1, buffers: new Map([[c.w.name, { shape: [4, 3], data: new Float32Array(12) }]]) }), {
    code: 'RS_ERR_OPTIM_STATE',
    message: /buffer .* has shape \[4,3\], variable \[3,4\]/,
  });
  assert.throws(() => optC.loadState({ iteration: 1, buffers: new Map([['nope', { shape: [1], data: new Float32Array(1) }]]) }), { code: 'RS_ERR_OPTIM_STATE', message: /nope has no variable/ });
});

test('gradient clipping by global norm scales all gradients by maxNorm / norm', async () => {
  await useBackend('wasm');
  const v = tf.variable(tf.tensor1d([0, 0]), true, 'clip_v');
  const u = tf.variable(tf.tensor1d([0]), true, 'clip_u');
  const opt = new SgdMomentum({ schedule: replay([1]), momentum: 0, weightDecay: 0, clipGradNorm: 1 });
  // gradients (3, 4) and (12): global norm 13 -> scaled by 1/13 (minus torch's 1e-6 guard)
  const info = opt.step({ clip_v: tf.tensor1d([3, 4]), clip_u: tf.tensor1d([12]) });
  assert.ok(Math.abs(info.gradNorm! - 13) < 1e-5);
  assertClose(v, [-3 / 13, -4 / 13], 1e-5);
  assertClose(u, [-12 / 13], 1e-5);
  assert.throws(() => new SgdMomentum({ schedule: replay([1]), clipGradNorm: 0 }), { code: 'RS_ERR_OPTIM_CONFIG', message: /clipGradNorm 0/ });
  assert.throws(() => opt.step({ missing: tf.tensor1d([1]) }), { code: 'RS_ERR_OPTIM_STATE', message: /no variable named missing/ });
});
