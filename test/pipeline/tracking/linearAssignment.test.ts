// Optimal assignment against brute force over every (partial) matching of small random matrices.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linearAssignment } from '../../../src/pipeline/tracking/linearAssignment.ts';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** Lowest total of (cost - limit) over matchings that only use pairs within the limit (lapjv's extended cost, minus a constant). */
function bruteWithLimit(c: number[], n: number, m: number, limit: number): number {
  const used = new Array(m).fill(false);
  const go = (i: number): number => {
    if (i === n) return 0;
    let best = go(i + 1); // row i unmatched
    for (let j = 0; j < m; j++) {
      if (used[j] || c[i * m + j] > limit) continue;
      used[j] = true;
      best = Math.min(best, c[i * m + j] - limit + go(i + 1));
      used[j] = false;
    }
    return best;
  };
  return go(0);
}

/** Lowest total over assignments of min(n, m) pairs. */
function bruteFull(c: number[], n: number, m: number): number {
  const used = new Array(m).fill(false);
  const k = Math.min(n, m);
  const go = (i: number, left: number): number => {
    if (left === 0) return 0;
    if (n - i < left) return Infinity;
    let best = go(i + 1, left); // skip row i (only when n > m)
    for (let j = 0; j < m; j++) {
      if (used[j]) continue;
      used[j] = true;
      best = Math.min(best, c[i * m + j] + go(i + 1, left - 1));
      used[j] = false;
    }
    return best;
  };
  return go(0, k);
}

function checkShape(a: ReturnType<typeof linearAssignment>, n: number, m: number) {
  const rows = new Set(a.matches.map(([i]) => i));
  const cols = new Set(a.matches.map(([, j]) => j));
  assert.equal(rows.size, a.matches.length, 'a row is used twice');
  assert.equal(cols.size, a.matches.length, 'a column is used twice');
  assert.deepEqual([...rows, ...a.unmatchedRows].sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i));
  assert.deepEqual([...cols, ...a.unmatchedCols].sort((x, y) => x - y), Array.from({ length: m }, (_, j) => j));
}

describe('linearAssignment', () => {
  it('picks the pairing with the lower total, not the greedy one', () => {
    // greedy takes (0,0)=0.1 then (1,1)=0.9; optimal is (0,1)+(1,0) = 0.2+0.3
    const a = linearAssignment([0.1, 0.2, 0.3, 0.9], 2, 2, 1);
    assert.deepEqual(a.matches.sort(), [[0, 1], [1, 0]]);
  });

  it('never makes a pair beyond the limit', () => {
    const a = linearAssignment([0.95, 0.5, 0.9, 0.99], 2, 2, 0.8);
    assert.deepEqual(a.matches, [[0, 1]]);
    assert.deepEqual(a.unmatchedRows, [1]);
    assert.deepEqual(a.unmatchedCols, [0]);
  });

  it('empty sides', () => {
    assert.deepEqual(linearAssignment([], 0, 3, 0.8), { matches: [], unmatchedRows: [], unmatchedCols: [0, 1, 2] });
    assert.deepEqual(linearAssignment([], 2, 0, 0.8), { matches: [], unmatchedRows: [0, 1], unmatchedCols: [] });
  });

  it('with a limit: the optimum of brute force on 400 random matrices up to 5x5 (sparse and dense)', () => {
    const r = rng(7);
    for (let t = 0; t < 400; t++) {
      const n = 1 + Math.floor(r() * 5);
      const m = 1 + Math.floor(r() * 5);
      const sparse = t % 2 === 0;
      const c = Array.from({ length: n * m }, () => (sparse && r() < 0.6 ? 1 : r()));
      const limit = 0.3 + r() * 0.6;
      const a = linearAssignment(c, n, m, limit);
      checkShape(a, n, m);
      for (const [i, j] of a.matches) assert.ok(c[i * m + j] <= limit);
      const got = a.matches.reduce((s, [i, j]) => s + c[i * m + j] - limit, 0);
      const want = bruteWithLimit(c, n, m, limit);
      assert.ok(Math.abs(got - want) < 1e-9, `matrix ${t} (${n}x${m}, limit ${limit.toFixed(3)}): ${got} vs brute force ${want}`);
    }
  });

  it('without a limit: a full rectangular assignment of minimum cost on 300 random matrices', () => {
    const r = rng(11);
    for (let t = 0; t < 300; t++) {
      const n = 1 + Math.floor(r() * 6);
      const m = 1 + Math.floor(r() * 6);
      const c = Array.from({ length: n * m }, () => Math.round(r() * 20) / 2); // ties too
      const a = linearAssignment(c, n, m);
      checkShape(a, n, m);
      assert.equal(a.matches.length, Math.min(n, m));
      const got = a.matches.reduce((s, [i, j]) => s + c[i * m + j], 0);
      assert.ok(Math.abs(got - bruteFull(c, n, m)) < 1e-9, `matrix ${t} (${n}x${m})`);
    }
  });
});
