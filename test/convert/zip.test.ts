import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { looksLikeZip, ZipArchive } from '../../src/convert/zip.ts';
import { fixture } from './fixtures.ts';

describe('ZipArchive', () => {
  const buf = readFileSync(fixture('plain.zip')); // written by Python's zipfile

  it('reads stored and deflated entries', () => {
    const zip = new ZipArchive(buf, 'plain.zip');
    assert.deepEqual(zip.names().sort(), ['a/deflated.txt', 'a/stored.txt']);
    assert.equal(new TextDecoder().decode(zip.read('a/stored.txt')), 'stored entry '.repeat(10));
    assert.equal(new TextDecoder().decode(zip.read('a/deflated.txt')), 'deflated entry '.repeat(100));
  });

  it('returns stored entries as views into the archive buffer (no copy)', () => {
    const zip = new ZipArchive(buf, 'plain.zip');
    assert.equal(zip.read('a/stored.txt').buffer, buf.buffer);
  });

  it('detects zips by their first local header', () => {
    assert.equal(looksLikeZip(buf), true);
    assert.equal(looksLikeZip(new Uint8Array([0x80, 2, 0x7d, 0x2e])), false);
  });

  it('rejects a truncated archive with an error naming the file', () => {
    for (const cut of [buf.length - 1, Math.floor(buf.length / 2), 10]) {
      assert.throws(() => new ZipArchive(buf.subarray(0, cut), 'cut.zip'), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'RS_ERR_ZIP');
        assert.match(e.message, /^cut\.zip: zip .*truncated/);
        return true;
      });
    }
  });

  it('rejects an entry whose local header was overwritten', () => {
    const bad = Uint8Array.from(buf);
    bad.fill(0, 0, 4); // first local header signature
    const zip = new ZipArchive(bad, 'bad.zip');
    const first = [...zip.entries.values()].find((e) => e.localHeaderOffset === 0)!;
    assert.throws(() => zip.read(first.name), /bad\.zip: zip entry a\/\w+\.txt: local header at 0 is missing/);
    assert.throws(() => zip.read('nope'), /bad\.zip: zip has no entry nope/);
  });
});
