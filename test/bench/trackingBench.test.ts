// The tracker alone on the demo video's ground truth with noise, dropouts and false positives (src/bench/trackingBench.ts),
// scored by TrackEval, beside supervision's ByteTrack fed the same detections. Target (a) of issue 11, IDF1 >= 0.95,
// is checked where it is reachable: light noise (2% box noise, 2% dropped, no false positives), on each of 5 seeds
// (measured 0.971-0.976, so 0.95 leaves 0.02). At 10% dropped no tracker that labels detections can reach it
// (idf1Ceiling: 0.947); there ours must stay at or under that ceiling and above the reference on every seed.
// Needs python3 with trackeval and supervision (scripts/setup/tracking-reference.sh); skipped without them,
// except under CI where they must be there.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/projectRoot.ts';
import { BYTE_TRACK_DEFAULTS } from '../../src/pipeline/tracking/byteTrack.ts';
import { PYTHON, idf1Ceiling, loadGroundTruth, noisyDetections, runOurs, runSupervision, scoreRuns, type TrackRow } from '../../src/bench/trackingBench.ts';

const probe = spawnSync(PYTHON, ['-W', 'ignore', '-c', 'import trackeval.metrics, supervision; supervision.ByteTrack'], { encoding: 'utf8' });
const missing = probe.status === 0 ? null : (probe.stderr || String(probe.error)).trim().split('\n').pop();
if (missing && process.env.CI) throw new Error(`${PYTHON} lacks trackeval/supervision ByteTrack under CI: run scripts/setup/tracking-reference.sh (${missing})`);
const skip = missing ? `trackeval / supervision ByteTrack not importable by ${PYTHON} (run scripts/setup/tracking-reference.sh): ${missing}` : false;

const gt = loadGroundTruth(join(PROJECT_ROOT, 'assets', 'demo', 'demo.gt.json'));
const SEEDS = [1, 2, 3, 4, 5];
const noisy = (seed: number, noise: number, dropout: number, falsePositives: number) => noisyDetections(gt, { seed, noise, dropout, falsePositives, width: 640, height: 360 });

describe('bench tracking (a): the tracker alone on noisy ground truth', { skip }, () => {
  it('light noise (2% box noise, 2% dropped, no false positives): IDF1 >= 0.95 on every seed', { timeout: 120_000 }, () => {
    const runs: Record<string, TrackRow[]> = {};
    for (const s of SEEDS) runs[s] = runOurs(noisy(s, 0.02, 0.02, 0), BYTE_TRACK_DEFAULTS).rows;
    const scores = scoreRuns(gt, runs).runs;
    for (const s of SEEDS) assert.ok(scores[s].IDF1 >= 0.95, `seed ${s}: IDF1 ${scores[s].IDF1}`);
  });

  it('5% box noise, 10% dropped, 1 false positive a frame: under the ceiling of the dropped boxes, above supervision ByteTrack on every seed', { timeout: 120_000 }, () => {
    const runs: Record<string, TrackRow[]> = {};
    const dropped: Record<number, number> = {};
    for (const s of SEEDS) {
      const d = noisy(s, 0.05, 0.1, 1);
      dropped[s] = d.dropped;
      assert.equal(d.flat().filter((x) => x.label !== 'fp').length + d.dropped, gt.rows.length, 'every ground-truth box is a detection or dropped');
      runs[`ours${s}`] = runOurs(d, BYTE_TRACK_DEFAULTS).rows;
      runs[`sup${s}`] = runSupervision(d, BYTE_TRACK_DEFAULTS).rows;
    }
    const scores = scoreRuns(gt, runs).runs;
    for (const s of SEEDS) {
      const ours = scores[`ours${s}`];
      const sup = scores[`sup${s}`];
      assert.equal(ours.IDTP + ours.IDFN, gt.rows.length);
      assert.ok(ours.IDFN >= dropped[s], `seed ${s}: the dropped boxes are misses (IDFN ${ours.IDFN}, dropped ${dropped[s]})`);
      assert.ok(ours.IDF1 <= idf1Ceiling(gt.rows.length, dropped[s]) + 1e-9);
      assert.ok(ours.IDF1 > sup.IDF1 && ours.HOTA > sup.HOTA, `seed ${s}: ours ${JSON.stringify(ours)} vs supervision ${JSON.stringify(sup)}`);
    }
  });
});
