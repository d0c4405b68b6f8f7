import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type CheckpointSource, convertCheckpoint } from '../../src/convert/index.ts';
import { fixture } from './fixtures.ts';

describe('convertCheckpoint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-convert-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('dispatches on the source', async () => {
    assert.equal((await convertCheckpoint('torchvision', fixture('tv_v2.pth'))).config.source, 'torchvision-v2');
    assert.equal((await convertCheckpoint('detectron2', fixture('d2_r50.pkl'))).config.source, 'detectron2');
  });

  for (const from of ['torchvision', 'detectron2'] as const) {
    it(`${from}: missing file, directory, empty file, garbage and truncated file name the path`, async () => {
      const missing = join(dir, 'nope.pth');
      await assert.rejects(convertCheckpoint(from, missing), { code: 'RS_ERR_CONVERT_FILE', message: `${missing}: no such file` });
      await assert.rejects(convertCheckpoint(from, dir), { code: 'RS_ERR_CONVERT_FILE', message: `${dir}: not a regular file` });
      const empty = join(dir, 'empty.pth');
      writeFileSync(empty, '');
      await assert.rejects(convertCheckpoint(from, empty), { code: 'RS_ERR_CONVERT_FILE', message: `${empty}: file is empty` });
      const garbage = join(dir, 'garbage.pth');
      writeFileSync(garbage, 'this is not a checkpoint');
      await assert.rejects(convertCheckpoint(from, garbage), { code: 'RS_ERR_CHECKPOINT_FORMAT', message: new RegExp(`^${garbage}: `) });
    });
  }

  it('truncated .pth and .pkl files: a one-line error naming the file', async () => {
    const pth = readFileSync(fixture('tv_v1.pth'));
    const cutPth = join(dir, 'cut.pth');
    writeFileSync(cutPth, pth.subarray(0, Math.floor(pth.length * 0.6)));
    await assert.rejects(convertCheckpoint('torchvision', cutPth), { code: 'RS_ERR_ZIP', message: new RegExp(`^${cutPth}: zip .*\\(truncated file, or not a zip archive\\)$`) });
    const pkl = readFileSync(fixture('d2_r50.pkl'));
    const cutPkl = join(dir, 'cut.pkl');
    writeFileSync(cutPkl, pkl.subarray(0, Math.floor(pkl.length * 0.6)));
    await assert.rejects(convertCheckpoint('detectron2', cutPkl), { code: 'RS_ERR_PICKLE', message: new RegExp(`^${cutPkl}: pickle is truncated`) });
  });

  it('rejects an unknown source', async () => {
    await assert.rejects(convertCheckpoint('caffe2' as CheckpointSource, 'x.pkl'), { code: 'RS_ERR_CHECKPOINT_FORMAT', message: /x\.pkl: unknown checkpoint source "caffe2", expected one of torchvision, detectron2/ });
  });
});
