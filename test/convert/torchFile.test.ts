import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Namespace, readTorchFile, TorchTensor } from '../../src/convert/torchFile.ts';
import { fixture } from './fixtures.ts';

describe('readTorchFile', () => {
  const expected: Record<string, { shape: number[]; values: number[] }> = JSON.parse(readFileSync(fixture('small.json'), 'utf8'));

  for (const file of ['small.pth', 'small_legacy.pth']) {
    it(`${file}: strided, offset and non-float32 tensors decode to torch's values`, () => {
      const sd = readTorchFile(readFileSync(fixture(file)), file) as Map<string, TorchTensor>;
      assert.deepEqual([...sd.keys()].sort(), Object.keys(expected).sort());
      for (const [name, want] of Object.entries(expected)) {
        const t = sd.get(name)!;
        assert.ok(t instanceof TorchTensor);
        assert.deepEqual([...t.shape], want.shape, name);
        assert.deepEqual([...t.float32(name)], want.values.map(Math.fround), name);
      }
    });
  }

  it('returns contiguous float32 tensors as views of the file buffer', () => {
    const buf = readFileSync(fixture('small.pth'));
    const sd = readTorchFile(buf, 'small.pth') as Map<string, TorchTensor>;
    assert.equal(sd.get('offset_view')!.float32('offset_view').buffer, buf.buffer);
  });

  it('rejects truncated files with an error naming the file', () => {
    const zip = readFileSync(fixture('small.pth'));
    assert.throws(() => readTorchFile(zip.subarray(0, zip.length - 30), 'cut.pth'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'RS_ERR_ZIP');
      assert.match(e.message, /^cut\.pth: zip .*truncated/);
      return true;
    });
    // one byte short: always inside the last storage's data (the smallest storage, the scalar, has 4 bytes). The
    // legacy format orders storages by key, and torch's keys are memory addresses, so which storage is last changes
    // from one generation of the fixture to the next: cutting 8 bytes landed in the scalar's header 1 time in 5.
    const legacy = readFileSync(fixture('small_legacy.pth'));
    assert.throws(() => readTorchFile(legacy.subarray(0, legacy.length - 1), 'cut_legacy.pth'), /^ConvertError: cut_legacy\.pth \(legacy format\): storage \d+ data ends past the end of the file \(truncated\)$/);
  });

  it('reads a training checkpoint (args Namespace, optimizer, MultiStepLR Counter) and its model entry', () => {
    const top = readTorchFile(readFileSync(fixture('training_checkpoint.pth')), 'train.pth') as Map<string, unknown>;
    assert.equal(top.get('epoch'), 3);
    assert.equal((top.get('args') as Namespace).attributes.get('epochs'), 26);
    const model = top.get('model') as Map<string, TorchTensor>;
    const want: Record<string, number[]> = JSON.parse(readFileSync(fixture('training_checkpoint.json'), 'utf8'));
    for (const [k, values] of Object.entries(want)) assert.deepEqual([...model.get(k)!.float32(k)], values.map(Math.fround), k);
  });

  it('refuses a whole pickled nn.Module, naming its class and the fix', () => {
    assert.throws(() => readTorchFile(readFileSync(fixture('whole_module.pth')), 'm.pth'), {
      code: 'RS_ERR_PICKLE',
      message: /^m\.pth:[^ ]*data\.pkl: pickle refers to torch\.nn\.modules\.conv\.Conv2d, which is not an allowed global .*; if the file holds a whole pickled model, save model\.state_dict\(\) instead$/,
    });
  });

  it('tells a plain pickle and random bytes apart from torch files', () => {
    assert.throws(() => readTorchFile(readFileSync(fixture('numpy_p4.pkl')), 'x.pkl'), /x\.pkl: a plain pickle, not a torch\.save file.*--from detectron2/);
    assert.throws(() => readTorchFile(Buffer.from('hello world'), 'x.txt'), /x\.txt: not a PyTorch checkpoint/);
  });
});
