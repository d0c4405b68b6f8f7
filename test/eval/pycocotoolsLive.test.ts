// Runs the real pycocotools on freshly generated data (tools/eval/make_fixtures.py with seeds other
// than the committed fixtures') and compares. Skips with a message when python3 lacks pycocotools
// (scripts/setup/pycocotools.sh installs it; CI has it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCocoDataset } from '../../src/eval/cocoDataset.ts';
import { loadResults } from '../../src/eval/eventsToResults.ts';
import { accumulateEvaluation, formatMetrics, METRIC_KEYS, perCategoryAp, summarize, type EvalOptions } from '../../src/eval/cocoEval.ts';
import { npMean } from '../../src/eval/numpyCompat.ts';

const MAKE_FIXTURES = fileURLToPath(new URL('../../tools/eval/make_fixtures.py', import.meta.url));
const probe = spawnSync('python3', ['-c', 'import pycocotools.cocoeval, numpy'], { encoding: 'utf8' });
const skip = probe.status === 0 ? false : `pycocotools not importable by python3 (run scripts/setup/pycocotools.sh): ${(probe.stderr || String(probe.error)).trim().split('\n').pop()}`;
if (skip) console.log(`# skipping live pycocotools tests: ${skip}`);

const SEEDS = (process.env.RS_EVAL_SEEDS ?? '11,12').split(',').map(Number);

for (const seed of SEEDS) {
  test(`pycocotools on generated data, seed ${seed}`, { skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-coco-'));
    try {
      const gen = spawnSync('python3', [MAKE_FIXTURES, '--out', dir, '--seed', String(seed), '--name', 'live'], { encoding: 'utf8' });
      assert.equal(gen.status, 0, gen.stderr);
      const dataset = loadCocoDataset(join(dir, 'live.dataset.json'));
      const results = loadResults(join(dir, 'live.results.json'));
      const expected = JSON.parse(readFileSync(join(dir, 'live.expected.json'), 'utf8')) as { cases: { options: EvalOptions; stats: number[]; summary: string; perCategoryAP?: (number | null)[] }[] };
      assert.ok(expected.cases.length >= 2);
      for (const c of expected.cases) {
        const acc = accumulateEvaluation(dataset, results, c.options);
        const m = summarize(acc);
        METRIC_KEYS.forEach((k, i) => assert.ok(Math.abs(m[k] - c.stats[i]) <= 1e-12, `${JSON.stringify(c.options)} ${k}: got ${m[k]}, pycocotools ${c.stats[i]}`));
        assert.equal(formatMetrics(m, c.options), c.summary);
        if (c.options.useCats === false) continue;
        // detectron2's per-category AP from pycocotools' precision array (tools/eval/coco_eval.py per_category_ap)
        const want = c.perCategoryAP;
        assert.ok(want && want.length > 1, 'the reference gives per-category AP');
        const got = perCategoryAp(acc);
        assert.equal(got.length, want.length);
        got.forEach((v, k) => {
          if (want[k] === null) assert.ok(Number.isNaN(v), `category ${k}: no ground truth, got ${v}`);
          else assert.ok(Math.abs(v - want[k]!) <= 1e-12, `${JSON.stringify(c.options)} category ${k}: got ${v}, pycocotools/detectron2 ${want[k]}`);
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('npMean is bit-equal to np.mean (pairwise summation) on awkward lengths', { skip }, () => {
  let x = 12345;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) * (x % 7 === 0 ? 1e6 : 1);
  const arrays = [1, 7, 8, 9, 127, 128, 129, 1000, 4040, 100003].map((n) => Array.from({ length: n }, rand));
  const py = spawnSync('python3', ['-c', 'import sys, json, numpy as np; print(json.dumps([float(np.mean(np.array(a, dtype=np.float64))) for a in json.load(sys.stdin)]))'],
    { input: JSON.stringify(arrays), encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(py.status, 0, py.stderr);
  const means = JSON.parse(py.stdout) as number[];
  arrays.forEach((a, i) => assert.equal(npMean(a), means[i], `length ${a.length}`));
});
