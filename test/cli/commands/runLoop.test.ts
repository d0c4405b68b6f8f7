// `retinastream run --loop`: a file is played at its native rate, over and over, until Ctrl-C (SIGINT).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { DetectionEvent, PipelineEvent } from '../../../src/pipeline/types.ts';
import { makeVideo, tempDir } from '../../helpers/media.ts';
import { makeTinyModel } from '../../helpers/tinyModel.ts';
import { startCli } from '../cliProcess.ts';
import { waitFor } from '../../helpers/waitFor.ts';

describe('retinastream run --loop', () => {
  let tmp: { dir: string; cleanup: () => void };
  let model: string;
  let clip: string; // 8 frames at 10 fps: 0.8 s
  before(async () => {
    tmp = tempDir('rs-cli-loop-');
    [model, clip] = await Promise.all([makeTinyModel().then((m) => m.dir), makeVideo(tmp.dir, 'clip', { width: 200, height: 120, fps: 10, frames: 8 })]);
  });
  after(() => {
    tmp?.cleanup();
    if (model) rmSync(model, { recursive: true, force: true });
  });

  it('replays an 8-frame clip at ~10 fps past its end, then stops on SIGINT with exit 0', { timeout: 120_000 }, async () => {
    const cli = startCli(['run', '--loop', '--model', model, '--input', `cam=${clip}`, '--no-ws', '--jsonl', '-', '--workers', '1', '--status-interval-ms', '0', '--min-score', '0.05'], { timeoutMs: 100_000 });
    await cli.waitForStdout(/"frameNumber":2\d/, 60_000); // frame 20+: the clip was played 2.5 times
    const firstAt = Date.now();
    await cli.waitForStdout(/"frameNumber":3\d/, 30_000);
    const tenFrames = Date.now() - firstAt;
    cli.child.kill('SIGINT');
    const r = await cli.result;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /SIGINT: stopping sources/);
    const dets = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as PipelineEvent).filter((e): e is DetectionEvent => e.type === 'detections');
    const numbers = dets.map((e) => e.frameNumber);
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), 'frame numbers keep rising across loops');
    const pts = dets.map((e) => e.pts);
    assert.ok(pts.every((p, i) => i === 0 || p > pts[i - 1]), 'so do timestamps');
    assert.ok(tenFrames > 500, `10 frames took ${tenFrames} ms: read at the native 10 fps, not as fast as possible`);
  });

  it('serves the viewer page on the ws port, and not with --no-viewer', { timeout: 120_000 }, async () => {
    for (const [flags, status] of [[[], 200], [['--no-viewer'], 404]] as const) {
      const cli = startCli(['run', '--loop', '--model', model, '--input', `cam=${clip}`, '--ws-port', '0', '--no-jsonl', '--workers', '1', '--status-interval-ms', '0', ...flags], { timeoutMs: 100_000 });
      await waitFor('the HTTP port and the model on stderr', () => /websocket ws:\/\/127\.0\.0\.1:\d+\/ws/.test(cli.stderr()) && /^model /m.test(cli.stderr()), 60_000);
      const port = /websocket ws:\/\/127\.0\.0\.1:(\d+)\/ws/.exec(cli.stderr())![1];
      assert.equal(/viewer http:/.test(cli.stderr()), status === 200, cli.stderr());
      const page = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(page.status, status, flags.join(' '));
      assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 200);
      cli.child.kill('SIGINT');
      assert.equal((await cli.result).code, 0);
    }
  });
});
