// The worker's decisions without Kafka: diff on assign, reads to the end before starting, live adds and
// removes, fencing after silence (a fake clock), and back again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClusterWorker } from '../../src/cluster/worker.ts';
import type { StreamSpec } from '../../src/cluster/streamSpec.ts';

function setup() {
  const log: string[] = [];
  const running = new Set<string>();
  let now = 0;
  const w = new ClusterWorker({
    contactTimeoutMs: 9000,
    catchUpTimeoutMs: 5000,
    now: () => now,
    runner: {
      start: (s: StreamSpec) => {
        assert.ok(!running.has(s.id), `${s.id} started twice`);
        running.add(s.id);
        log.push(`start ${s.id}`);
      },
      stop: (id, reason) => {
        running.delete(id);
        log.push(`stop ${id}: ${reason}`);
      },
    },
  });
  return { w, log, running, advance: (ms: number) => (now += ms) };
}
const spec = (url: string) => JSON.stringify({ url });
const ends = (entries: Array<[number, number, number]>) => new Map(entries.map(([p, low, high]) => [p, { low, high }]));

describe('ClusterWorker', () => {
  it('starts a partition\'s streams once it is read to its end, so a stream added then removed never starts', () => {
    const { w, log } = setup();
    w.assign([0, 1], ends([[0, 0, 3], [1, 0, 0]]));
    w.record(0, 0, 'a', spec('rtsp://cam/a'));
    w.record(0, 1, 'b', spec('rtsp://cam/b'));
    assert.deepEqual(log, [], 'nothing before the end of the read');
    w.record(0, 2, 'b', null);
    assert.deepEqual(log, ['start a']);
    w.record(1, 0, 'c', spec('rtsp://cam/c'));
    assert.deepEqual(log, ['start a', 'start c'], 'an empty partition was read at once; later records apply live');
    assert.deepEqual(w.owned(), [0, 1]);
  });

  it('diff on assign: streams of kept partitions go on, revoked ones stop, re-read removals apply', () => {
    const { w, log, running } = setup();
    w.assign([0, 1], ends([[0, 0, 1], [1, 0, 1]]));
    w.record(0, 0, 'a', spec('rtsp://cam/a'));
    w.record(1, 0, 'b', spec('rtsp://cam/b'));
    log.length = 0;
    // rebalance: keeps 0, loses 1, gains 2; partition 0 is read again from the start
    w.assign([0, 2], ends([[0, 0, 2], [2, 0, 1]]));
    assert.deepEqual(log, ['stop b: revoked: partition 1 went to another worker']);
    w.record(0, 0, 'a', spec('rtsp://cam/a'));
    w.record(2, 0, 'd', spec('rtsp://cam/d'));
    assert.deepEqual(log.slice(1), ['start d']);
    w.record(0, 1, 'a', spec('rtsp://cam/a2'));
    assert.deepEqual(log.slice(2), ['stop a: restarted: its spec changed', 'start a'], 'a changed spec restarts the stream');
    assert.deepEqual([...running].sort(), ['a', 'd']);
    // a kept partition whose re-read shows a removal
    w.assign([0, 2], ends([[0, 0, 3], [2, 0, 1]]));
    w.record(2, 0, 'd', spec('rtsp://cam/d'));
    w.record(0, 0, 'a', spec('rtsp://cam/a'));
    w.record(0, 1, 'a', spec('rtsp://cam/a2'));
    w.record(0, 2, 'a', null);
    assert.deepEqual(log.slice(4), ['stop a: removed from the registry']);
    assert.deepEqual([...running], ['d']);
  });

  it('ignores a bad registry value (logged) and records of partitions it does not own', () => {
    const { w, running } = setup();
    w.assign([0], ends([[0, 0, 2]]));
    w.record(0, 0, 'x', '{"url": "ftp://nope/x"}');
    w.record(5, 0, 'y', spec('rtsp://cam/y'));
    w.record(0, 1, 'z', spec('rtsp://cam/z'));
    assert.deepEqual([...running], ['z']);
  });

  it('stops everything after contactTimeoutMs of silence and starts again on contact', () => {
    const { w, log, running, advance } = setup();
    w.assign([0], ends([[0, 0, 2]]));
    w.record(0, 0, 'a', spec('rtsp://cam/a'));
    w.record(0, 1, 'b', spec('rtsp://cam/b'));
    advance(8000);
    w.tick();
    assert.equal(running.size, 2);
    w.contact();
    advance(9001);
    w.tick();
    assert.equal(running.size, 0);
    assert.match(log.at(-1)!, /stopped: worker lost contact with Kafka \(no heartbeat for 9 s\)/);
    w.record(0, 2, 'c', spec('rtsp://cam/c'));
    assert.equal(running.size, 0, 'a fenced worker starts nothing');
    w.contact();
    assert.deepEqual([...running].sort(), ['a', 'b', 'c']);
    w.lost('consumer crashed');
    assert.equal(running.size, 0);
    // back through a rebalance that moved partition 0 away: nothing of it starts, not even for a moment
    log.length = 0;
    w.assign([1], ends([[1, 0, 0]]));
    assert.deepEqual(log, []);
    assert.deepEqual(w.owned(), [1]);
  });

  it('takes a partition as read when its end never comes (catch-up timeout)', () => {
    const { w, running, advance } = setup();
    w.assign([0], ends([[0, 0, 5]]));
    w.record(0, 1, 'a', spec('rtsp://cam/a'));
    advance(2000);
    w.contact();
    advance(3500);
    w.tick();
    assert.deepEqual([...running], ['a']);
  });
});
