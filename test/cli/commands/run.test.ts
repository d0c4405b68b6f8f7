// `retinastream run` as a user runs it: a file to JSONL on stdout, a live input stopped with SIGTERM,
// and config files with mistakes. Real processes, real ffmpeg, a tiny random-weight model.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import type { DetectionEvent, PipelineEvent, StreamStatusEvent } from '../../../src/pipeline/types.ts';
import { makeVideo, tempDir } from '../../helpers/media.ts';
import { makeTinyModel } from '../../helpers/tinyModel.ts';
import { REPO, runCli, startCli, stderrLines } from '../cliProcess.ts';

const schema = JSON.parse(readFileSync(join(REPO, 'schema', 'detection-event.v1.schema.json'), 'utf8'));
const validate = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, logger: false }).compile(schema);

function parseEvents(stdout: string): PipelineEvent[] {
  assert.ok(stdout.endsWith('\n'), 'stdout ends with a complete line');
  return stdout.trimEnd().split('\n').map((l, i) => {
    const e = JSON.parse(l) as PipelineEvent;
    assert.ok(validate(e), `line ${i + 1}: ${JSON.stringify(validate.errors)}`);
    return e;
  });
}

describe('retinastream run', () => {
  let tmp: { dir: string; cleanup: () => void };
  let model: string;
  let clip: string; // 12 frames
  let long: string; // 10 s at 10 fps
  before(async () => {
    tmp = tempDir('rs-cli-run-');
    [model, clip, long] = await Promise.all([
      makeTinyModel().then((m) => m.dir),
      makeVideo(tmp.dir, 'clip', { width: 200, height: 120, fps: 10, frames: 12 }),
      makeVideo(tmp.dir, 'long', { width: 200, height: 120, fps: 10, frames: 100 }),
    ]);
  });
  after(() => {
    tmp?.cleanup();
    if (model) rmSync(model, { recursive: true, force: true });
  });

  it('--input clip.mp4 --no-ws --jsonl - prints one event per frame and the status changes, then exits 0', { timeout: 120_000 }, async () => {
    const r = await runCli(['run', '--model', model, '--input', `cam=${clip}`, '--no-ws', '--jsonl', '-', '--workers', '1', '--status-interval-ms', '0']);
    assert.equal(r.code, 0, r.stderr);
    const events = parseEvents(r.stdout);
    const dets = events.filter((e): e is DetectionEvent => e.type === 'detections');
    assert.deepEqual(dets.map((e) => e.frameNumber), [...Array(12).keys()], 'one event per frame, in order');
    for (const e of dets) {
      assert.equal(e.streamId, 'cam');
      assert.deepEqual(e.source, { width: 200, height: 120 });
      assert.equal(e.model.name, 'tiny_r18_test');
      for (const d of e.detections) assert.ok(d.box[2] <= 200 && d.box[3] <= 120, `box ${d.box} in source pixels`);
    }
    const states = events.filter((e): e is StreamStatusEvent => e.type === 'status').map((e) => e.state);
    assert.deepEqual(states, ['connecting', 'live', 'ended']);
    assert.match(r.stderr, /jsonl 15 sent 0 dropped/, 'the final status line counts all 15 lines written');
  });

  it('stops a live input on SIGTERM: exit 0, every event written before exiting', { timeout: 120_000 }, async () => {
    const cli = startCli(['run', '--model', model, '--input', `live=${long}`, '--live', '--no-ws', '--jsonl', '-', '--workers', '1', '--status-interval-ms', '0']);
    await cli.waitForStdout(/"type":"detections"/, 90_000);
    const signalledAt = Date.now();
    cli.child.kill('SIGTERM');
    const r = await cli.result;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Date.now() - signalledAt < 15_000, 'stopped promptly');
    assert.match(r.stderr, /SIGTERM: stopping sources, finishing in-flight batches, flushing sinks/);
    const events = parseEvents(r.stdout);
    const dets = events.filter((e): e is DetectionEvent => e.type === 'detections');
    assert.ok(dets.length >= 1);
    const last = dets.at(-1)!;
    assert.ok(last.frameNumber + last.droppedFrames < 99, `stopped before the end of the 100-frame input (last frame ${last.frameNumber})`);
    assert.ok(!events.some((e) => e.type === 'status' && e.reason === 'end of input'), 'the input did not simply end');
    const m = /jsonl (\d+) sent (\d+) dropped/.exec(r.stderr);
    assert.ok(m, `final status line in:\n${r.stderr}`);
    assert.deepEqual([Number(m[1]), Number(m[2])], [events.length, 0], 'everything the sink accepted reached stdout');
  });

  it('--config with an unknown key, a bad URL or a number out of range names the key in one line', { timeout: 120_000 }, async () => {
    const configs: Array<[string, unknown, RegExp]> = [
      ['unknown-key.json', { batch: { maxBatch: 4, maxWiat: 40 } }, /unknown key "batch\.maxWiat"/],
      ['bad-url.json', { inputs: [{ id: 'cam', url: 'rtsp://' }] }, /inputs\[0\]\.url: "rtsp:\/\/" is not a valid URL/],
      ['out-of-range.json', { batch: { maxBatch: 1000 } }, /batch\.maxBatch: 1000 is not an integer in \[1, 64\]/],
    ];
    const results = await Promise.all(
      configs.map(([name, body]) => {
        writeFileSync(join(tmp.dir, name), JSON.stringify(body));
        return runCli(['run', '--config', join(tmp.dir, name), '--model', model, '--no-ws']);
      }),
    );
    results.forEach((r, i) => {
      const lines = stderrLines(r);
      assert.ok(r.code !== 0, `${configs[i][0]}: exit ${r.code}`);
      assert.equal(lines.length, 1, `${configs[i][0]}: one line:\n${r.stderr}`);
      assert.match(lines[0], configs[i][2]);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
    });
    assert.ok(stderrLines(results[0])[0].includes(join(tmp.dir, 'unknown-key.json')), 'the unknown key error names the file');
  });
});
