import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTrainConfig, parseTrainConfig, resolveTrainerOptions, defaultLr } from '../../../src/train/trainer/index.ts';
import { defaultModelConfig } from '../../../src/model/config.ts';

const ok = { model: { numClasses: 7, backbone: { depth: 18 } }, annotations: 'a.json', images: 'img', iterations: 10 };

function fails(raw: unknown, code: string, pattern: RegExp): void {
  assert.throws(() => parseTrainConfig(raw, 'cfg.json'), (e: Error & { code?: string }) => {
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one-line message');
    return true;
  });
}

test('a valid config gives the options and the model with its overrides', () => {
  const c = parseTrainConfig({ ...ok, batchSize: 4, out: 'models/x' }, 'cfg.json');
  assert.equal(c.out, 'models/x');
  assert.equal(c.options.model.backbone.depth, 18);
  assert.equal(c.options.model.fpn.channels, 256, 'defaults fill what the file leaves out');
  const r = resolveTrainerOptions(c.options);
  assert.equal(r.lr, defaultLr(4));
  assert.equal(r.lr, 0.0025, 'paper lr 0.01 at batch 16, scaled linearly');
  assert.equal(r.warmupIters, 1, 'ceil(10 / 20)');
  assert.deepEqual(r.milestones, [2 / 3, 8 / 9]);
  assert.equal(r.alpha, 0.25);
  assert.equal(r.gamma, 2);
});

test('unknown keys are named, at the top level and inside model', () => {
  fails({ ...ok, learningRate: 0.1 }, 'RS_ERR_TRAIN_CONFIG', /cfg\.json: unknown key "learningRate"/);
  fails({ ...ok, model: { fpn: { chanels: 128 } } }, 'RS_ERR_TRAIN_CONFIG', /unknown key "model\.fpn\.chanels"/);
});

test('missing keys and bad values are named', () => {
  const { iterations: _, ...noIters } = ok;
  fails(noIters, 'RS_ERR_TRAIN_CONFIG', /missing key "iterations"/);
  fails({ ...ok, batchSize: 0 }, 'RS_ERR_TRAIN_CONFIG', /batchSize: 0 is not a positive integer/);
  fails({ ...ok, gamma: -1 }, 'RS_ERR_TRAIN_CONFIG', /gamma: -1/);
  fails({ ...ok, boxLoss: 'l2' }, 'RS_ERR_TRAIN_CONFIG', /boxLoss: "l2"/);
  fails({ ...ok, milestones: [0.9, 0.5] }, 'RS_ERR_TRAIN_CONFIG', /milestones/);
  fails({ ...ok, model: { backbone: { depth: 19 } } }, 'RS_ERR_TRAIN_CONFIG', /backbone\.depth is 19/);
  fails({ ...ok, out: 3 }, 'RS_ERR_TRAIN_CONFIG', /"out" is 3/);
  fails([1], 'RS_ERR_TRAIN_CONFIG', /not a JSON object/);
});

test('unreadable and non-JSON files are reported with their path', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rs-traincfg-'));
  await assert.rejects(loadTrainConfig(join(dir, 'nope.json')), { code: 'RS_ERR_TRAIN_CONFIG', message: /nope\.json: cannot read training config \(ENOENT\)/ });
  await writeFile(join(dir, 'bad.json'), '{"model": ');
  await assert.rejects(loadTrainConfig(join(dir, 'bad.json')), { code: 'RS_ERR_TRAIN_CONFIG', message: /bad\.json: not valid JSON/ });
});

test('the shipped configs parse', async () => {
  const c = await loadTrainConfig('config/train/demo.json');
  assert.equal(c.options.model.numClasses, 7);
  assert.deepEqual(c.options.model.classNames.slice(0, 2), ['__background__', 'circle']);
  assert.equal(resolveTrainerOptions(c.options).classNumbering, 'categoryId');
  assert.equal(defaultModelConfig().fpn.channels, 256);
});
