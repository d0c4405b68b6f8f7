// Sticky assignment: balanced, and minimal moves when members join or leave (worked out by hand below).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stickyAssign } from '../../src/cluster/stickyAssign.ts';

const P6 = [0, 1, 2, 3, 4, 5];
const asObject = (m: Map<string, number[]>) => Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)));
/** Partitions whose owner changed between two assignments (member ids stand for workers here). */
function moved(before: Map<string, number[]>, after: Map<string, number[]>): number[] {
  const owner = new Map<number, string>();
  for (const [m, ps] of before) for (const p of ps) owner.set(p, m);
  return [...after].flatMap(([m, ps]) => ps.filter((p) => owner.has(p) && owner.get(p) !== m)).sort();
}

describe('stickyAssign', () => {
  it('a first assignment spreads partitions evenly', () => {
    const a = stickyAssign([{ id: 'a', owned: [] }, { id: 'b', owned: [] }, { id: 'c', owned: [] }], P6);
    assert.deepEqual([...a.values()].map((ps) => ps.length), [2, 2, 2]);
    assert.deepEqual([...a.values()].flat().sort(), P6);
  });

  it('a member joining gets what the members over their new quota give up, nothing else moves', () => {
    const before = new Map([['a', [0, 1]], ['b', [2, 3]], ['c', [4, 5]]]);
    const after = stickyAssign([...[...before].map(([id, owned]) => ({ id, owned })), { id: 'd', owned: [] }], P6);
    // 6 partitions over 4 members: quotas 2,2,1,1; a and b (first by id among the equal) keep 2, c gives up 5,
    // d gets 5: one partition moves, the minimum
    assert.deepEqual(asObject(after), { a: [0, 1], b: [2, 3], c: [4], d: [5] });
    assert.deepEqual(moved(before, after), [5]);
  });

  it('a member leaving: only its partitions move, to the emptiest', () => {
    const before = new Map([['a', [0, 1]], ['b', [2, 3]], ['c', [4, 5]]]);
    const after = stickyAssign([{ id: 'a', owned: [0, 1] }, { id: 'c', owned: [4, 5] }], P6);
    assert.deepEqual(asObject(after), { a: [0, 1, 2], c: [3, 4, 5] });
    assert.deepEqual(moved(before, after), [2, 3]);
  });

  it('twelve partitions, three members then a fourth: three move (12/3 -> 12/4)', () => {
    const P12 = [...Array(12).keys()];
    const three = stickyAssign(['a', 'b', 'c'].map((id) => ({ id, owned: [] })), P12);
    const four = stickyAssign([...[...three].map(([id, owned]) => ({ id, owned })), { id: 'd', owned: [] }], P12);
    assert.deepEqual([...four.values()].map((ps) => ps.length), [3, 3, 3, 3]);
    assert.equal(moved(three, four).length, 3);
  });

  it('a partition claimed twice (a member that missed a rebalance) goes to one member; unknown partitions are dropped', () => {
    const a = stickyAssign([{ id: 'a', owned: [0, 1, 9] }, { id: 'b', owned: [1, 2] }], [0, 1, 2, 3]);
    assert.deepEqual(asObject(a), { a: [0, 1], b: [2, 3] });
  });

  it('more members than partitions: some get none', () => {
    const a = stickyAssign([{ id: 'a', owned: [0] }, { id: 'b', owned: [] }, { id: 'c', owned: [] }], [0, 1]);
    assert.deepEqual(asObject(a), { a: [0], b: [1], c: [] });
    assert.deepEqual(stickyAssign([], [0, 1]).size, 0);
  });
});
