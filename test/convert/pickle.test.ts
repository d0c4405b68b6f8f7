import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CODECS_ENCODE, ORDERED_DICT, unpickle, unpickleAt } from '../../src/convert/pickle.ts';
import { fixture } from './fixtures.ts';

/** Same description as describe() in fixtures/make_checkpoints.py. */
function describeValue(v: unknown): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return { int: v.toString() };
  // Python ints arrive as safe integers (bigint beyond); the fixture's floats all have a fraction or exceed 2^53.
  if (typeof v === 'number') return Number.isSafeInteger(v) ? { int: String(v) } : v;
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return Object.isFrozen(v) ? { tuple: v.map(describeValue) } : { list: v.map(describeValue) };
  if (v instanceof Map) return { dict: [...v].map(([k, x]) => [describeValue(k), describeValue(x)]) };
  throw new Error(`unexpected value ${String(v)}`);
}

const noGlobals = { name: 'test.pkl', globals: new Map() };
// Protocol 2 has no bytes opcode: Python writes bytes as _codecs.encode(latin-1 text).
const codecs = { name: 'test.pkl', globals: new Map([[CODECS_ENCODE.qualname, CODECS_ENCODE]]) };

function pickleError(code: string, pattern: RegExp) {
  return (e: Error & { code?: string }) => {
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  };
}

describe('unpickle', () => {
  const expected = JSON.parse(readFileSync(fixture('values.json'), 'utf8'));

  for (const proto of [2, 3, 4, 5]) {
    it(`reads Python values written with protocol ${proto} as Python describes them`, () => {
      const value = unpickle(readFileSync(fixture(`values_p${proto}.pkl`)), proto === 2 ? codecs : noGlobals);
      assert.deepEqual(describeValue(value), expected);
    });
  }

  it('keeps memoized objects shared (BINGET returns the same object)', () => {
    const value = unpickle(readFileSync(fixture('values_p4.pkl')), noGlobals) as Map<string, unknown[][]>;
    const [a, b] = value.get('shared')!;
    assert.equal(a, b);
  });

  it('refuses globals outside the allow-list and names them (no code runs)', () => {
    assert.throws(
      () => unpickle(readFileSync(fixture('evil.pkl')), { name: 'evil.pkl', globals: new Map([[ORDERED_DICT.qualname, ORDERED_DICT]]) }),
      pickleError('RS_ERR_PICKLE', /^evil\.pkl: pickle refers to (posix|os)\.system, which is not an allowed global \(allowed: collections\.OrderedDict\)$/),
    );
  });

  it('reports truncation with the offset', () => {
    const buf = readFileSync(fixture('values_p2.pkl'));
    assert.throws(() => unpickle(buf.subarray(0, 40), noGlobals), pickleError('RS_ERR_PICKLE', /^test\.pkl: pickle is truncated \(needs \d+ bytes at offset \d+/));
  });

  it('rejects unknown opcodes, stack underflow and unsupported protocols', () => {
    assert.throws(() => unpickle(Uint8Array.of(0x80, 2, 0xff), noGlobals), pickleError('RS_ERR_PICKLE', /unsupported opcode 0xff at offset 2/));
    assert.throws(() => unpickle(Uint8Array.of(0x80, 2, 0x2e), noGlobals), pickleError('RS_ERR_PICKLE', /pops an empty stack/));
    assert.throws(() => unpickle(Uint8Array.of(0x80, 6, 0x4e, 0x2e), noGlobals), pickleError('RS_ERR_PICKLE', /protocol 6/));
    assert.throws(() => unpickle(Uint8Array.of(0x80, 2, 0x68, 9, 0x2e), noGlobals), pickleError('RS_ERR_PICKLE', /memo entry 9/));
  });

  it('reads consecutive pickles and reports where each ends', () => {
    // PROTO 2, BININT1 7, STOP | PROTO 2, NONE, STOP
    const two = Uint8Array.of(0x80, 2, 0x4b, 7, 0x2e, 0x80, 2, 0x4e, 0x2e);
    const first = unpickleAt(two, 0, noGlobals);
    assert.deepEqual(first, { value: 7, end: 5 });
    assert.deepEqual(unpickleAt(two, first.end, noGlobals), { value: null, end: 9 });
  });

  it('_codecs.encode turns latin-1 text back into bytes', () => {
    const bytes = CODECS_ENCODE.call(['\u0000\u00ff\u0080A', 'latin1'], 'x') as Uint8Array;
    assert.deepEqual([...bytes], [0, 255, 128, 65]);
    assert.throws(() => CODECS_ENCODE.call(['\u0100', 'latin1'], 'x'), /x: _codecs\.encode: character 256 is not latin-1/);
  });
});
