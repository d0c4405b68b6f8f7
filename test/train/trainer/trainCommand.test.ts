// `retinastream train` end to end: the real CLI in a child process, a tiny config file, a model dir out.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModelDir } from '../../../src/model/modelDir.ts';
import { runCli } from '../../cli/cliProcess.ts';
import { tinyDataset, tinyModel } from './tinySetup.ts';

test('retinastream train --config writes a loadable model, a log and a checkpoint; --resume continues it', async () => {
  const data = await tinyDataset(2, 9);
  const cfgPath = join(data.dir, 'tiny.json');
  const ck = join(data.dir, 'ck');
  const log = join(data.dir, 'log.jsonl');
  const out = join(data.dir, 'model');
  const m = tinyModel();
  await writeFile(cfgPath, JSON.stringify({
    model: { name: m.name, numClasses: 7, classNames: m.classNames, backbone: { depth: 18 }, fpn: { channels: 32 }, head: { numConvs: 1 }, input: { minSize: 64, maxSize: 96 } },
    annotations: data.annotations, images: data.images, batchSize: 2, iterations: 2, lr: 0.01, warmupIters: 0,
    checkpointDir: ck, checkpointInterval: 1, logPath: log, logInterval: 1, out,
  }));
  const first = await runCli(['train', '--config', cfgPath, '--iters', '1', '--backend', 'wasm'], { timeoutMs: 60_000 });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /iter 1\/1 +loss \d+\.\d+ \(cls \d+\.\d+ box \d+\.\d+\).* img\/s/);
  assert.equal((await loadModelDir(out)).config.numClasses, 7);

  const second = await runCli(['train', '--config', cfgPath, '--resume', '--backend', 'wasm'], { timeoutMs: 60_000 });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /resumed from .*ck at iteration 1/);
  const lines = (await readFile(log, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.iteration), [1, 2]);
  assert.equal(JSON.parse(await readFile(join(ck, 'trainer-state.json'), 'utf8')).iteration, 2);
});

test('retinastream train without --config, or with a bad key, fails with one line and exit code 2', async () => {
  const r = await runCli(['train'], { timeoutMs: 30_000 });
  assert.equal(r.code, 2);
  assert.match(r.stderr.trim(), /^retinastream: --config: a training config file is required/);
  const data = await tinyDataset(1, 2);
  const cfgPath = join(data.dir, 'bad.json');
  await writeFile(cfgPath, JSON.stringify({ model: {}, annotations: 'a', images: 'b', iterations: 1, lr_: 1 }));
  const b = await runCli(['train', '--config', cfgPath], { timeoutMs: 30_000 });
  assert.equal(b.code, 1);
  assert.match(b.stderr.trim(), /bad\.json: unknown key "lr_"/);
  assert.equal(b.stderr.trim().split('\n').length, 1);
});
