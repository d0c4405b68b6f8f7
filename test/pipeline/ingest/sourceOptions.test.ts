import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autoDecodeThreads, resolveSourceOptions, type SourceOptions } from '../../../src/pipeline/ingest/sourceOptions.ts';

const base: SourceOptions = { id: 'cam', url: 'rtsp://h/s', canvasWidth: 128, canvasHeight: 96 };

test('defaults: live sources reconnect forever, files are lossless and fail on the first error', () => {
  const live = resolveSourceOptions(base);
  assert.equal(live.live, true);
  assert.equal(live.maxRetries, Infinity);
  assert.equal(live.endsOnEof, false);
  assert.equal(live.realtime, false);
  assert.deepEqual(live.padColor, [124, 116, 104]);
  assert.deepEqual(live.backoff, { initialMs: 500, maxMs: 30000, factor: 2, jitter: 0.2 });
  assert.equal(live.connectTimeoutMs, 10000);
  assert.equal(live.stallTimeoutMs, 10000);
  assert.equal(live.rtspTransport, 'tcp');

  const file = resolveSourceOptions({ ...base, url: '/v/clip.mp4' });
  assert.equal(file.live, false);
  assert.equal(file.maxRetries, 0);
  assert.equal(file.endsOnEof, true);
  assert.equal(file.losslessQueue, 2);
  assert.equal(file.decodeThreads, autoDecodeThreads(1));

  const fakeCam = resolveSourceOptions({ ...base, url: '/v/clip.mp4', live: true });
  assert.equal(fakeCam.realtime, true);
  assert.equal(fakeCam.endsOnEof, true);
  assert.equal(resolveSourceOptions({ ...base, url: '/dev/video0' }).live, true);
});

test('bad options fail with RS_ERR_SOURCE_OPTIONS naming the source and the option', () => {
  const cases: Array<[Partial<SourceOptions>, RegExp]> = [
    [{ id: '' }, /id must be a non-empty string/],
    [{ url: '' }, /"cam": url must be/],
    [{ canvasWidth: 0 }, /"cam": canvasWidth must be an integer in \[1, 8192\], got 0/],
    [{ canvasHeight: 96.5 }, /canvasHeight/],
    [{ padColor: [1, 2, 300] }, /padColor/],
    [{ stallTimeoutMs: -1 }, /stallTimeoutMs must be a positive number, got -1/],
    [{ backoff: { initialMs: 100, maxMs: 50, factor: 2, jitter: 0 } }, /backoff.maxMs must be >= backoff.initialMs/],
    [{ backoff: { initialMs: 100, maxMs: 500, factor: 2, jitter: 1 } }, /backoff.jitter/],
    [{ maxRetries: -1 }, /maxRetries/],
    [{ losslessQueue: 0 }, /losslessQueue/],
    [{ decodeThreads: 1.5 }, /decodeThreads must be an integer in \[0, 64\], got 1.5/],
    [{ rtspTransport: 'http' as 'tcp' }, /rtspTransport/],
  ];
  for (const [patch, re] of cases) {
    assert.throws(
      () => resolveSourceOptions({ ...base, ...patch }),
      (e: Error & { code?: string }) => e.code === 'RS_ERR_SOURCE_OPTIONS' && re.test(e.message) && !e.message.includes('\n'),
      JSON.stringify(patch),
    );
  }
});

test('decoder threads by default: 2 while there is a core per 2 of them, then 1', () => {
  assert.deepEqual([1, 2, 3, 4, 8].map((n) => autoDecodeThreads(n, 2)), [2, 1, 1, 1, 1]);
  assert.deepEqual([1, 2, 4, 5, 8, 9].map((n) => autoDecodeThreads(n, 8)), [2, 2, 2, 1, 1, 1]);
  assert.equal(autoDecodeThreads(1, 1), 1);
  assert.equal(autoDecodeThreads(0, 2), 2);
});
