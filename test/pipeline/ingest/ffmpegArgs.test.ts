import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFfmpegArgs, classifyUrl, type FfmpegInput } from '../../../src/pipeline/ingest/ffmpegArgs.ts';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { ffmpegFeatures, findFfmpeg, type FfmpegFeatures } from '../../../src/pipeline/ingest/findFfmpeg.ts';

const NEW: FfmpegFeatures = { fpsMode: true, showinfoChecksumOption: true, rtspTimeoutOption: '-timeout' };
const OLD: FfmpegFeatures = { fpsMode: false, showinfoChecksumOption: false, rtspTimeoutOption: '-stimeout' };

const input: FfmpegInput = {
  url: 'rtsp://cam/s', kind: 'rtsp', live: true, realtime: false, rtspTransport: 'tcp', connectTimeoutMs: 2500,
  canvasWidth: 128, canvasHeight: 96, padColor: [124, 116, 104], decodeThreads: 2, inputArgs: [],
};

test('classifyUrl', () => {
  assert.equal(classifyUrl('rtsp://h/s'), 'rtsp');
  assert.equal(classifyUrl('RTSPS://h/s'), 'rtsp');
  assert.equal(classifyUrl('https://h/live.m3u8'), 'http');
  assert.equal(classifyUrl('udp://127.0.0.1:1234'), 'network');
  assert.equal(classifyUrl('/dev/video2'), 'device');
  assert.equal(classifyUrl('clip.mp4'), 'file');
  assert.equal(classifyUrl('file:/v/clip.mp4'), 'file');
});

test('features are read from ffmpeg\'s help: the system ffmpeg and the 2018 build of @ffmpeg-installer', () => {
  const version = /^ffmpeg version n?(\d+)\.(\d+)/.exec(execFileSync(findFfmpeg(), ['-hide_banner', '-version'], { encoding: 'utf8' }));
  if (version) {
    const [major, minor] = [Number(version[1]), Number(version[2])];
    assert.deepEqual(ffmpegFeatures(findFfmpeg()), {
      fpsMode: major > 5 || (major === 5 && minor >= 1),
      showinfoChecksumOption: major >= 5,
      rtspTimeoutOption: major >= 5 ? '-timeout' : '-stimeout',
    });
  }
  const bundled = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  assert.deepEqual(ffmpegFeatures(bundled), { fpsMode: false, showinfoChecksumOption: true, rtspTimeoutOption: '-stimeout' });
});

test('RTSP arguments: transport, socket timeout in microseconds, raw RGB to stdout', () => {
  const args = buildFfmpegArgs(input, NEW);
  const at = (flag: string) => args[args.indexOf(flag) + 1];
  assert.equal(at('-rtsp_transport'), 'tcp');
  assert.equal(at('-timeout'), '2500000');
  assert.equal(at('-i'), 'rtsp://cam/s');
  assert.ok(args.indexOf('-timeout') < args.indexOf('-i'), 'input options come before -i');
  assert.equal(at('-threads'), '2');
  assert.ok(args.indexOf('-threads') < args.indexOf('-i'), 'decoder threads are an input option');
  assert.equal(buildFfmpegArgs({ ...input, decodeThreads: 0 }, NEW)[args.indexOf('-threads') + 1], '0');
  assert.equal(at('-fps_mode'), 'passthrough');
  assert.equal(at('-pix_fmt'), 'rgb24');
  assert.equal(args.at(-1), 'pipe:1');
  assert.match(at('-vf')!, /^showinfo=checksum=0,scale=w='[^']+':h='[^']+':flags=bilinear,format=rgb24,pad=128:96:0:0:color=0x7c7468$/);
  assert.ok(args.includes('-nostdin'));
});

test('old ffmpeg: -stimeout and -vsync; http: -rw_timeout; live files: -re', () => {
  const old = buildFfmpegArgs(input, OLD);
  assert.ok(old.includes('-stimeout') && !old.includes('-timeout') && old.includes('-vsync'));
  const http = buildFfmpegArgs({ ...input, url: 'http://h/x.m3u8', kind: 'http' }, NEW);
  assert.equal(http[http.indexOf('-rw_timeout') + 1], '2500000');
  const file = buildFfmpegArgs({ ...input, url: 'a.mp4', kind: 'file', realtime: true }, NEW);
  assert.ok(file.includes('-re') && !file.includes('-rtsp_transport'));
});
