import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LineSplitter,
  parseInputHeaderLine,
  parseLogLine,
  parseShowinfo,
  redactCredentials,
  type InputHeader,
} from '../../../src/pipeline/ingest/ffmpegLog.ts';

// Lines as ffmpeg 5.1 prints them with -loglevel level+info.
const SHOWINFO =
  '[Parsed_showinfo_0 @ 0x555a5343b740] [info] n:  12 pts:  61440 pts_time:0.48    pos:     4410 ' +
  'fmt:yuv420p sar:1/1 s:160x120 i:P iskey:0 type:P checksum:35A5BB8C plane_checksum:[ADB4 18EE EBD5] mean:[111 132 130]';

test('parseLogLine: context, level and text', () => {
  assert.deepEqual(parseLogLine('[info]   Duration: 00:00:01.60, start: 0.000000'), {
    level: 'info', context: null, text: '  Duration: 00:00:01.60, start: 0.000000',
  });
  assert.deepEqual(parseLogLine('[tcp @ 0x5634] [error] Connection to tcp://127.0.0.1:9 failed: Connection refused'), {
    level: 'error', context: 'tcp', text: 'Connection to tcp://127.0.0.1:9 failed: Connection refused',
  });
  assert.deepEqual(parseLogLine('plain text'), { level: null, context: null, text: 'plain text' });
});

test('parseShowinfo: frame lines only', () => {
  assert.deepEqual(parseShowinfo(parseLogLine(SHOWINFO)), { n: 12, ptsTime: 0.48, width: 160, height: 120 });
  const nopts = SHOWINFO.replace('pts:  61440 pts_time:0.48   ', 'pts:NOPTS pts_time:NOPTS');
  assert.deepEqual(parseShowinfo(parseLogLine(nopts)), { n: 12, ptsTime: null, width: 160, height: 120 });
  assert.equal(parseShowinfo(parseLogLine('[Parsed_showinfo_0 @ 0x55] [info] config in time_base: 1/25, frame_rate: 25/1')), null);
  assert.equal(parseShowinfo(parseLogLine('[Parsed_showinfo_0 @ 0x55] [info] color_range:unknown color_space:unknown')), null);
  // Same text from another filter is not a showinfo line.
  assert.equal(parseShowinfo(parseLogLine(SHOWINFO.replace('Parsed_showinfo_0', 'Parsed_scale_1'))), null);
});

test('parseInputHeaderLine: duration and the video stream frame rate', () => {
  const h: InputHeader = {};
  assert.ok(parseInputHeaderLine('  Duration: 00:01:02.50, start: 0.000000, bitrate: 12 kb/s', h));
  assert.ok(parseInputHeaderLine(
    '  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 160x120 [SAR 1:1 DAR 4:3], 12 kb/s, 29.97 fps, 29.97 tbr, 30k tbn (default)', h));
  assert.deepEqual(h, { durationSec: 62.5, fps: 29.97 });
  assert.equal(parseInputHeaderLine('  Stream #0:1(und): Audio: aac, 44100 Hz', h), false);
});

test('LineSplitter: \\n, \\r\\n and \\r terminators across chunk boundaries', () => {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l));
  s.push('ab');
  s.push('c\r\nde');
  s.push('f\rfr');
  s.push(Buffer.from('ame=1\n'));
  s.push('tail');
  s.end();
  assert.deepEqual(lines, ['abc', 'def', 'frame=1', 'tail']);
});

test('redactCredentials hides passwords only', () => {
  assert.equal(redactCredentials('rtsp://admin:hunter2@10.0.0.5/s: refused'), 'rtsp://admin:***@10.0.0.5/s: refused');
  assert.equal(redactCredentials('rtsp://10.0.0.5:554/s'), 'rtsp://10.0.0.5:554/s');
});
