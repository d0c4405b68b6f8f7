import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { NumpyArray, numpyGlobals } from '../../src/convert/numpyPickle.ts';
import { unpickle } from '../../src/convert/pickle.ts';
import { fixture } from './fixtures.ts';

describe('numpy arrays in pickles', () => {
  const expected: Record<string, { shape: number[]; values: number[] }> = JSON.parse(readFileSync(fixture('numpy.json'), 'utf8'));

  for (const proto of [2, 3, 4, 5]) {
    it(`decodes every array of a protocol-${proto} pickle to numpy's values`, () => {
      const top = unpickle(readFileSync(fixture(`numpy_p${proto}.pkl`)), { name: `numpy_p${proto}.pkl`, globals: numpyGlobals() }) as Map<string, unknown>;
      assert.equal(top.get('__author__'), 'test');
      assert.equal(top.get('iteration'), 2.5); // numpy.float32 scalar
      const model = top.get('model') as Map<string, NumpyArray>;
      assert.deepEqual([...model.keys()].sort(), Object.keys(expected).sort());
      for (const [name, want] of Object.entries(expected)) {
        const a = model.get(name)!;
        assert.ok(a instanceof NumpyArray);
        assert.deepEqual([...a.shape], want.shape, name);
        assert.deepEqual([...a.float32(name)], want.values.map(Math.fround), name);
      }
    });
  }

  it('refuses dtypes it cannot decode, naming them', () => {
    const dtype = numpyGlobals().get('numpy.dtype')!;
    assert.throws(() => dtype.call(['O8', false, true], 'objs.pkl'), /^ConvertError: objs\.pkl: numpy dtype "O8" is not supported/);
  });
});
