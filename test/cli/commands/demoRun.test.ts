// The README's first command on its embedded defaults (with the COCO evaluation setting, --min-score 0.05
// --max-detections 100, instead of the live default 0.3): no --input and no --model runs the bundled demo model
// on the bundled demo video. Its JSONL output, scored by `retinastream eval` against the video's ground
// truth, must show real detections (the trained model), not the noise of random weights.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../../helpers/media.ts';
import { REPO, runCli } from '../cliProcess.ts';

// Measured on the shipped model (models/demo/README.md): AP50 on the demo video, with a margin below it
// for backend rounding. Random weights score 0.
const MIN_AP50 = 0.3;

describe('retinastream run on its defaults (bundled demo video and model)', () => {
  const tmp = tempDir('rs-demo-run-');
  after(() => tmp.cleanup());

  it('detects the demo video objects: eval of the JSONL against demo.gt.json', { timeout: 300_000 }, async () => {
    const events = join(tmp.dir, 'events.jsonl');
    const run = await runCli(['run', '--no-ws', '--jsonl', events, '--status-interval-ms', '0', '--min-score', '0.05', '--max-detections', '100'], { timeoutMs: 240_000 });
    assert.equal(run.code, 0, run.stderr);
    const ev = await runCli(['eval', '--dataset', join(REPO, 'assets/demo/demo.gt.json'), '--results', events, '--json'], { timeoutMs: 60_000 });
    assert.equal(ev.code, 0, ev.stderr);
    const { crossClassDuplicates: dup, perCategory, ...m } = JSON.parse(ev.stdout) as Record<string, number> & { crossClassDuplicates: { considered: number; duplicates: number }; perCategory: { name: string; AP: number }[] };
    assert.deepEqual(Object.keys(m), ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100', 'ARs', 'ARm', 'ARl']);
    assert.ok(dup.considered > 0 && dup.duplicates <= dup.considered, JSON.stringify(dup));
    assert.ok(m.AP50 >= MIN_AP50, `demo video AP50 ${m.AP50} < ${MIN_AP50}: ${ev.stdout}`);
  });
});
