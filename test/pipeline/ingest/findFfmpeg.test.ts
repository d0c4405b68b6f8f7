import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { findFfmpeg } from '../../../src/pipeline/ingest/findFfmpeg.ts';

const bundled = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;

function withPath<T>(path: string, fn: () => T): T {
  const saved = process.env.PATH;
  process.env.PATH = path;
  try {
    return fn();
  } finally {
    process.env.PATH = saved;
  }
}

test('findFfmpeg takes the first ffmpeg on PATH', () => {
  const found = findFfmpeg();
  assert.match(found, /ffmpeg$/);
  accessSync(found, constants.X_OK);
  assert.equal(withPath(`/nonexistent:${dirname(found)}`, findFfmpeg), found);
});

test('findFfmpeg falls back to the @ffmpeg-installer binary when PATH has none', () => {
  const found = withPath('/nonexistent', findFfmpeg);
  assert.equal(found, bundled);
  accessSync(found, constants.X_OK);
});
