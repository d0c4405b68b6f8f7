import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInputArg, streamIdFromUrl } from '../../../src/pipeline/ingest/inputArg.ts';

test('streamIdFromUrl: file names, URL paths, hosts and devices', () => {
  assert.equal(streamIdFromUrl('clip.mp4'), 'clip');
  assert.equal(streamIdFromUrl('/videos/Street Cam 2.mkv'), 'street-cam-2');
  assert.equal(streamIdFromUrl('rtsp://cam/live/1'), 'live-1');
  assert.equal(streamIdFromUrl('rtsp://user:pw@10.0.0.5:554/stream'), 'stream');
  assert.equal(streamIdFromUrl('rtsp://10.0.0.5:554'), '10.0.0.5');
  assert.equal(streamIdFromUrl('https://cdn.example.com/hls/lobby/index.m3u8'), 'lobby-index');
  assert.equal(streamIdFromUrl('/dev/video0'), 'video0');
  assert.equal(streamIdFromUrl('...'), 'stream');
});

test('parseInputArg: "ID=URL" and bare URLs', () => {
  assert.deepEqual(parseInputArg('cam1=rtsp://host/a'), { id: 'cam1', url: 'rtsp://host/a' });
  assert.deepEqual(parseInputArg('lobby=/v/x.mp4'), { id: 'lobby', url: '/v/x.mp4' });
  assert.deepEqual(parseInputArg('rtsp://cam/live/1'), { id: 'live-1', url: 'rtsp://cam/live/1' });
  // "=" inside a URL's query is not an id separator.
  assert.deepEqual(parseInputArg('http://h/play?stream=7'), { id: 'play', url: 'http://h/play?stream=7' });
  assert.deepEqual(parseInputArg('cam-2=http://h/play?stream=7'), { id: 'cam-2', url: 'http://h/play?stream=7' });
});

test('parseInputArg: empty input or empty URL is a one-line RS_ERR_INPUT_ARG', () => {
  assert.throws(() => parseInputArg('  '), (e: Error & { code?: string }) => e.code === 'RS_ERR_INPUT_ARG' && /empty/.test(e.message));
  assert.throws(
    () => parseInputArg('cam1='),
    (e: Error & { code?: string }) => e.code === 'RS_ERR_INPUT_ARG' && e.message.includes('cam1') && !e.message.includes('\n'),
  );
});
