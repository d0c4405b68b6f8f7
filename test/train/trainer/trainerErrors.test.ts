import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { defaultModelConfig } from '../../../src/model/config.ts';
import { Trainer, TrainerError } from '../../../src/train/trainer/index.ts';
import { CLASS_NAMES, tinyDataset, tinyModel, backendForTraining } from './tinySetup.ts';

let data: { dir: string; annotations: string; images: string };

before(async () => {
  await backendForTraining();
  data = await tinyDataset(2, 7);
});

test('category ids that do not fit numClasses are rejected before training', async () => {
  // Categories 1..6 numbered by id need numClasses >= 7.
  const model = defaultModelConfig({ ...tinyModel(), numClasses: 6, classNames: CLASS_NAMES.slice(1) });
  const t = new Trainer({ model, annotations: data.annotations, images: data.images, batchSize: 2, iterations: 1 });
  await assert.rejects(t.run({ progress: null }), { code: 'RS_ERR_TRAIN_DATA', message: /category id 6 does not fit a model with numClasses 6/ });
  // The same 6 classes numbered contiguously (detectron2 style) fit.
  assert.doesNotThrow(() => new Trainer({ model, annotations: data.annotations, images: data.images, batchSize: 2, iterations: 1, classNumbering: 'contiguous' }));
});

test('batch larger than the dataset, resume without a checkpoint: one-line errors', async () => {
  const base = { model: tinyModel(), annotations: data.annotations, images: data.images, iterations: 1 };
  await assert.rejects(new Trainer({ ...base, batchSize: 3 }).run({ progress: null }), { code: 'RS_ERR_TRAIN_DATA', message: /2 images with boxes, fewer than batchSize 3/ });
  await assert.rejects(new Trainer({ ...base, batchSize: 2 }).run({ resume: true, progress: null }), { code: 'RS_ERR_CHECKPOINT', message: /resume: no checkpointDir given/ });
  const dir = join(data.dir, 'empty-ck');
  await assert.rejects(new Trainer({ ...base, batchSize: 2, checkpointDir: dir }).run({ resume: true, progress: null }), { code: 'RS_ERR_CHECKPOINT', message: /empty-ck: no checkpoint to resume from/ });
});

test('bad option values throw TrainerError naming the option', () => {
  const base = { model: tinyModel(), annotations: data.annotations, images: data.images, iterations: 1 };
  assert.throws(() => new Trainer({ ...base, lr: 0 }), (e: unknown) => e instanceof TrainerError && e.code === 'RS_ERR_TRAIN_OPTIONS' && /option lr: 0 is not a number > 0/.test(e.message));
  assert.throws(() => new Trainer({ ...base, iterations: 1.5 }), /option iterations: 1.5 is not a positive integer/);
  assert.throws(() => new Trainer({ ...base, normalizer: 'mean' as 'ema' }), /option normalizer: "mean"/);
});

test('a loss that becomes NaN or infinite stops the run with RS_ERR_TRAIN_DIVERGED at its iteration', async () => {
  // No clip and no warmup at an absurd learning rate: the first step blows the weights up.
  const t = new Trainer({
    model: tinyModel(), annotations: data.annotations, images: data.images, batchSize: 2, iterations: 6,
    lr: 1e30, warmupIters: 0, clipGradNorm: null,
  });
  const steps: number[] = [];
  await assert.rejects(t.run({ progress: null, onStep: (it) => steps.push(it) }), (e: unknown) => {
    assert.ok(e instanceof TrainerError && e.code === 'RS_ERR_TRAIN_DIVERGED', String(e));
    const m = /^iteration (\d+): loss is (NaN|-?Infinity) \(lower lr or set clipGradNorm\)$/.exec(e.message);
    assert.ok(m, e.message);
    // The failing iteration is the one after the last that completed.
    assert.equal(Number(m[1]), steps.length + 1);
    assert.ok(steps.length >= 1, 'the first step runs at finite weights');
    return true;
  });
});
