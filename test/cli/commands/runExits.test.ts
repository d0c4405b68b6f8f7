// How `retinastream run` ends, as a user sees it (real processes, real ffmpeg, a tiny model): start-up
// errors exit promptly even with the HTTP server listening; refused inputs and empty tokens are one
// line; a truncated file or events Kafka never got make a non-zero exit that says what was lost;
// `run | head -3` ends when its reader goes away.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeVideo, tempDir } from '../../helpers/media.ts';
import { makeTinyModel } from '../../helpers/tinyModel.ts';
import { REPO, runCli, startCli, stderrLines } from '../cliProcess.ts';

describe('retinastream run: exits', () => {
  let tmp: { dir: string; cleanup: () => void };
  let model: string;
  let clip: string; // 12 frames
  let long: string; // 100 frames
  const p = (name: string) => join(tmp.dir, name);
  before(async () => {
    tmp = tempDir('rs-cli-exits-');
    [model, clip, long] = await Promise.all([
      makeTinyModel().then((m) => m.dir),
      makeVideo(tmp.dir, 'clip', { width: 200, height: 120, fps: 10, frames: 12 }),
      makeVideo(tmp.dir, 'long', { width: 200, height: 120, fps: 10, frames: 100 }),
    ]);
    mkdirSync(p('truncated-weights'));
    copyFileSync(join(model, 'model.json'), p('truncated-weights/model.json'));
    const weights = readFileSync(join(model, 'weights.safetensors'));
    writeFileSync(p('truncated-weights/weights.safetensors'), weights.subarray(0, Math.floor(weights.length / 3)));
    writeFileSync(p('empty-token.json'), JSON.stringify({ sinks: { ws: { token: '' } } }));
    writeFileSync(p('bad.mp4'), readFileSync(join(REPO, 'assets', 'demo', 'demo.mp4')).subarray(0, 100_000));
  });
  after(() => {
    tmp?.cleanup();
    if (model) rmSync(model, { recursive: true, force: true });
  });

  it('start-up errors exit promptly and non-zero while the HTTP server is on', { timeout: 120_000 }, async () => {
    const t0 = Date.now();
    const [weights, token] = await Promise.all([
      runCli(['run', '--model', p('truncated-weights'), '--input', clip, '--ws-port', '0', '--workers', '1'], { timeoutMs: 60_000 }),
      runCli(['run', '--config', p('empty-token.json'), '--model', model, '--input', clip, '--ws-port', '0'], { timeoutMs: 60_000 }),
    ]);
    assert.ok(Date.now() - t0 < 40_000, `both ended promptly (${Date.now() - t0} ms)`);
    assert.equal(weights.signal, null, 'exited by itself, not killed by the test');
    assert.equal(weights.code, 1, weights.stderr);
    assert.match(stderrLines(weights).at(-1)!, /truncated-weights\/weights\.safetensors.*truncated/);
    assert.equal(token.code, 1, token.stderr);
    assert.deepEqual(stderrLines(token).length, 1, token.stderr);
    assert.match(token.stderr, /sinks\.ws\.token: "" is not a non-empty string/);
  });

  it('refuses ffmpeg protocol prefixes and an empty --ws-token in one line', { timeout: 120_000 }, async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--input', 'cache:gopher://127.0.0.1:9/x'], /"cache:" is not a supported input scheme/],
      [['--input', `concat:${clip}|${clip}`], /"concat:" is not a supported input scheme/],
      [['--input', `subfile:,,start,0,end,100,,:${clip}`], /"subfile:" is not a supported input scheme/],
      [['--input', clip, '--ws-token', ''], /--ws-token: empty token/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(['run', '--model', model, '--ws-port', '0', ...args], { timeoutMs: 60_000 })));
    results.forEach((r, i) => {
      assert.ok(r.code !== 0 && r.code !== null, `${cases[i][0]}: exit ${r.code}`);
      const lines = stderrLines(r);
      assert.equal(lines.length, 1, `one line:\n${r.stderr}`);
      assert.match(lines[0], cases[i][1]);
    });
  });

  it('a truncated file is a failed stream and a non-zero exit, not a normal end', { timeout: 120_000 }, async () => {
    const r = await runCli(['run', '--model', model, '--input', `bad=${p('bad.mp4')}`, '--input', `ok=${clip}`, '--no-ws', '--jsonl', '-', '--workers', '1', '--status-interval-ms', '0']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /stream bad: failed: .*bad\.mp4: damaged or truncated input: .*(partial file|Invalid)/);
    assert.match(stderrLines(r).at(-1)!, /^retinastream: events were lost: stream bad: failed$/);
    const bad = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.streamId === 'bad' && e.type === 'detections');
    assert.ok(bad.length > 0 && bad.length < 150, `the frames before the cut are processed (${bad.length})`);
  });

  it('events Kafka never acknowledged make a non-zero exit that says how many', { timeout: 120_000 }, async () => {
    const r = await runCli(['run', '--model', model, '--input', clip, '--no-ws', '--no-jsonl', '--kafka-brokers', '127.0.0.1:9', '--workers', '1', '--status-interval-ms', '0'], { timeoutMs: 90_000 });
    assert.equal(r.code, 1, r.stderr);
    // (kafkajs may still log a late retry after it)
    assert.match(r.stderr, /^retinastream: events were lost: kafka: 15 events not delivered$/m);
  });

  // wasm's 4 GB memory makes this batch throw; the native backend (24 GB here) would just run it, slowly
  it('a batch that throws (out of memory at a 4096x4096 canvas on wasm) is reported and the run goes on; SIGTERM then ends it within seconds, flushing sinks', { timeout: 180_000 }, async () => {
    const cli = startCli(['run', '--model', model, '--input', `cam=${clip}`, '--canvas', '4096x4096', '--max-batch', '4', '--workers', '1', '--backend', 'wasm', '--no-ws', '--jsonl', '-', '--status-interval-ms', '0'], { timeoutMs: 150_000 });
    await cli.waitForStdout(/"type":"error"/, 120_000);
    const signalledAt = Date.now();
    cli.child.kill('SIGTERM');
    const r = await cli.result;
    assert.equal(r.signal, null, r.stderr);
    assert.ok(Date.now() - signalledAt < 15_000, `ended ${Date.now() - signalledAt} ms after SIGTERM`);
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    const errors = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'error');
    assert.equal(errors[0].code, 'RS_ERR_BATCH_FAILED');
    assert.match(errors[0].message, /inference of a batch of \d frame\(s\) failed: /);
    const lost = errors.reduce((n: number, e: { frameNumbers: number[] }) => n + e.frameNumbers.length, 0);
    assert.match(r.stderr, new RegExp(`^retinastream: events were lost: stream cam: ${lost} frames lost to failed batches$`, 'm'), 'every lost frame is in an error event that reached the sink');
  });

  it('run | head -3: stops when the reader of stdout goes away (EPIPE), exit 0', { timeout: 120_000 }, async () => {
    const cli = startCli(['run', '--model', model, '--input', `live=${long}`, '--live', '--no-ws', '--jsonl', '-', '--workers', '1', '--status-interval-ms', '0'], { timeoutMs: 90_000 });
    await cli.waitForStdout(/(.*\n){3}/, 60_000);
    const closedAt = Date.now();
    cli.child.stdout!.destroy();
    const r = await cli.result;
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Date.now() - closedAt < 15_000, 'stopped promptly, long before the 10 s input ends');
    assert.match(r.stderr, /stdout closed by its reader \(EPIPE\): stopping sources/);
  });
});
