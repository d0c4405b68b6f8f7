// `retinastream bench tracking` as a user runs it: the demo model on the demo video, our tracker and
// supervision's ByteTrack on the same detections, both scored by TrackEval. Checks the figures exist and the
// targets that are stated against the reference: our HOTA on the detector's output >= supervision's, and on
// noisy ground truth ours >= supervision's in HOTA and IDF1. The absolute IDF1 target (0.95) is printed by the
// command (met or not); it is not met yet (README), so it is not asserted here.
// Needs python3 with trackeval and supervision (scripts/setup/tracking-reference.sh); skipped without them,
// except under CI where they must be there.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { PYTHON } from '../../../src/bench/trackingBench.ts';
import { runCli } from '../cliProcess.ts';

const probe = spawnSync(PYTHON, ['-W', 'ignore', '-c', 'import trackeval.metrics, supervision; supervision.ByteTrack'], { encoding: 'utf8' });
const missing = probe.status === 0 ? null : (probe.stderr || String(probe.error)).trim().split('\n').pop();
if (missing && process.env.CI) throw new Error(`${PYTHON} lacks trackeval/supervision ByteTrack under CI: run scripts/setup/tracking-reference.sh (${missing})`);
const skip = missing ? `trackeval / supervision ByteTrack not importable by ${PYTHON} (run scripts/setup/tracking-reference.sh): ${missing}` : false;

interface Scores { HOTA: number; MOTA: number; IDF1: number; IDSW: number }
interface Report {
  noisyGroundTruth: { ours: Scores; supervision: Scores };
  endToEnd: { ours: Scores; supervision: Scores; detectionsPerFrame: number };
  cost: { ours100: { usPerFrame: number } };
}

describe('retinastream bench tracking', { skip }, () => {
  it('end to end on the demo model: our HOTA >= supervision ByteTrack on the same detections; on noisy ground truth ours is not worse', { timeout: 300_000 }, async () => {
    const r = await runCli(['bench', 'tracking', '--json'], { timeoutMs: 280_000 });
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout.trim().split('\n').pop()!) as Report;
    const { ours, supervision } = rep.endToEnd;
    assert.ok(rep.endToEnd.detectionsPerFrame > 1, 'the demo model detected something');
    assert.ok(supervision.HOTA > 0.05, `the reference tracked something (HOTA ${supervision.HOTA})`);
    assert.ok(ours.HOTA >= supervision.HOTA, `end to end HOTA: ours ${ours.HOTA} < supervision ${supervision.HOTA}`);
    const a = rep.noisyGroundTruth;
    assert.ok(a.ours.HOTA >= a.supervision.HOTA && a.ours.IDF1 >= a.supervision.IDF1, `noisy ground truth: ours ${JSON.stringify(a.ours)} vs supervision ${JSON.stringify(a.supervision)}`);
    assert.ok(rep.cost.ours100.usPerFrame > 0);
  });

  it('refuses a stray argument with one usage line', async () => {
    const r = await runCli(['bench', 'tracking', 'extra']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr.trim(), /^retinastream bench tracking: unexpected argument "extra"/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});
