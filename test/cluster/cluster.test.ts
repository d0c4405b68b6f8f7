// Cluster mode with real components: one KRaft broker, worker processes (`run --cluster`, wasm, the demo
// model at 320x192), six looped file streams registered with `streams add`. All six give events; a worker
// SIGKILLed loses its streams to the others within the session timeout plus FAILOVER_SLACK_MS (the bound
// the README states); a stream added and one removed at run time; a fourth worker takes streams over with
// the fewest moves and no long overlap; Kafka frozen or gone -> the workers stop their streams; back -> they run them.
// Needs scripts/setup/kafka.sh (skipped with a message when the jars are absent, unless CI is set).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { ClusterHarness } from '../../src/cluster/harness.ts';
import type { PipelineEvent } from '../../src/pipeline/types.ts';
import { DEFAULT_KAFKA_VERSION, kafkaJarsPresent, REPO_ROOT, startBroker, type Broker } from '../helpers/kafkaBroker.ts';
import { makeVideo, tempDir } from '../helpers/media.ts';

const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schema', 'detection-event.v1.schema.json'), 'utf8'));
const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false });
ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)));
const validate = ajv.compile(schema);
const SESSION_MS = 6000;
/** After the session timeout: the rebalance (a heartbeat, join, sync), reading the partitions, ffmpeg's start, a first batch. */
const FAILOVER_SLACK_MS = 14_000;
const skip = !kafkaJarsPresent(process.env.RS_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION) && !process.env.CI ? 'Kafka jars missing: run scripts/setup/kafka.sh' : false;

describe('cluster: workers coordinated by a Kafka consumer group', { skip, timeout: 180_000 }, () => {
  let broker: Broker;
  let h: ClusterHarness;
  let tmp: { dir: string; cleanup: () => void };
  let clip: string;
  let ids: string[];
  before(async () => {
    tmp = tempDir('rs-cluster-');
    clip = await makeVideo(tmp.dir, 'clip', { width: 320, height: 192, fps: 4, frames: 8 });
    broker = await startBroker();
    h = new ClusterHarness({
      brokers: broker.bootstrap,
      cluster: 'test',
      dir: tmp.dir,
      registryPartitions: 6,
      sessionTimeoutMs: SESSION_MS,
      heartbeatIntervalMs: 1000,
      workerArgs: ['--backend', 'wasm', '--workers', '1', '--max-batch', '1', '--canvas', '320x192'],
    });
    await h.start();
    // one stream per partition, so that every assignment change moves a known number of streams
    ids = h.idsOnDistinctPartitions('cam', 6);
  });
  after(async () => {
    await h?.close();
    await broker?.close();
    tmp?.cleanup();
  });

  it('streams add/rm check their input: a duplicate id, a bad URL, an unknown id', async () => {
    const first = await h.cli(['add', `${ids[0]}=${clip}`, '--loop', '--partitions', '6']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`^added ${ids[0]} /`));
    const added = await Promise.all(ids.slice(1).map((id) => h.cli(['add', `${id}=${clip}`, '--loop'])));
    for (const r of added) assert.equal(r.code, 0, r.stderr);
    const again = await h.cli(['add', `${ids[0]}=${clip}`]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already in retinastream\.streams.*--replace/);
    const bad = await h.cli(['add', 'x=ftp://host/x']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    const unknown = await h.cli(['rm', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^retinastream: streams rm: no stream "nope" in retinastream\.streams/);
  });

  it('three workers run all six streams, two each; events say which worker', async () => {
    for (const w of ['w1', 'w2', 'w3']) h.startWorker(w);
    await h.waitFor('two streams per worker, each giving detections', () => {
      const byWorker = h.byWorker();
      return ['w1', 'w2', 'w3'].every((w) => byWorker.get(w)?.length === 2) && [...h.owners()].every(([s, w]) => h.detections(s, w).length > 0);
    }, 120_000);
    assert.deepEqual([...h.owners().keys()].sort(), [...ids].sort());
    const ls = await h.cli(['ls']);
    assert.equal(ls.code, 0, ls.stderr);
    for (const [s, w] of h.owners()) assert.match(ls.stdout, new RegExp(`^${s}\\s+${w}\\s+live`, 'm'));
    const json = (await h.cli(['ls', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; worker: string | null; state: string; loop?: boolean });
    assert.deepEqual(json.map((r) => [r.id, r.worker, r.state, r.loop]), [...ids].sort((a, b) => a.localeCompare(b)).map((s) => [s, h.owners().get(s), 'live', true]));
    // what reached Kafka: schema v1, every event naming its worker
    assert.ok(h.events.length > 0);
    for (const { event } of h.events) {
      assert.ok(validate(event), JSON.stringify(validate.errors));
      assert.match(event.worker ?? '', /^w[123]$/);
    }
  });

  it('SIGKILL one worker: its two streams give events again on the others within the session timeout + slack; the rest do not move', async () => {
    const victim = 'w2';
    const lost = h.byWorker().get(victim)!;
    const stay = ids.filter((s) => !lost.includes(s));
    const t0 = Date.now();
    await h.signal(victim, 'SIGKILL');
    const took = await h.waitFor(`${lost.join(',')} back on other workers`, () => lost.every((s) => h.detections(s).some((o) => o.event.worker !== victim && Date.parse(o.event.emitTime) > t0)), SESSION_MS + FAILOVER_SLACK_MS);
    process.stderr.write(`# failover: ${lost.join(',')} back after ${took} ms (session timeout ${SESSION_MS} ms)\n`);
    const byWorker = h.byWorker();
    assert.deepEqual([byWorker.get('w1')!.length, byWorker.get('w3')!.length], [3, 3]);
    for (const s of stay) {
      const stops = h.statuses(s).filter((o) => o.event.state === 'ended' && Date.parse(o.event.time) > t0);
      assert.deepEqual(stops.map((o) => o.event.reason), [], `${s} stayed where it was`);
    }
  });

  it('a stream added at run time starts; one removed stops', async () => {
    const [extra] = h.idsOnDistinctPartitions('extra', 1);
    const add = await h.cli(['add', `${extra}=${clip}`, '--loop']);
    assert.equal(add.code, 0, add.stderr);
    await h.waitFor(`${extra} gives detections`, () => h.detections(extra).length > 0, 30_000);
    const rm = await h.cli(['rm', extra!]);
    assert.equal(rm.code, 0, rm.stderr);
    await h.waitFor(`${extra} ended`, () => h.statuses(extra).some((o) => o.event.state === 'ended' && o.event.reason === 'removed from the registry'), 30_000);
    const endedAt = Date.parse(h.statuses(extra).find((o) => o.event.state === 'ended')!.event.time);
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok(h.detections(extra).filter((o) => Date.parse(o.event.emitTime) > endedAt + 1000).length === 0, 'no events a second after its stop');
    const ls = await h.cli(['ls']);
    assert.doesNotMatch(ls.stdout, new RegExp(`^${extra}\\b`, 'm'));
  });

  it('a fourth worker (started as the systemd example unit runs it) takes two streams (the fewest moves); the moved streams pause only for the move', async () => {
    const t0 = Date.now();
    // examples/cluster/run-workers.sh runs the unit's ExecStart; the harness's flags come after the unit's and win
    h.startLaunched('w4', join(REPO_ROOT, 'examples/cluster/run-workers.sh'), ['w4', '--', ...h.workerFlags('w4')], {
      RETINASTREAM_BIN: `${process.execPath} ${join(REPO_ROOT, 'bin/retinastream.js')}`,
      RETINASTREAM_KAFKA_BROKERS: broker.bootstrap,
      RETINASTREAM_CLUSTER: 'test',
    });
    await h.waitFor('w4 runs two streams with detections', () => (h.byWorker().get('w4') ?? []).filter((s) => h.detections(s, 'w4').length > 0).length === 2, 60_000);
    await new Promise((r) => setTimeout(r, 1500));
    const moves = h.moves(ids, t0);
    process.stderr.write(`# scale-up moves: ${JSON.stringify(moves.map((m) => ({ ...m, gapMs: m.firstNew - m.lastOld })))}\n`);
    assert.equal(moves.length, 2, 'two partitions (one stream each) moved: 3/3 -> 2/2/2');
    assert.deepEqual(moves.map((m) => m.to), ['w4', 'w4']);
    for (const m of moves) {
      assert.ok(m.firstNew - m.lastOld < 15_000, `${m.streamId}: gap ${m.firstNew - m.lastOld} ms`);
      assert.ok(m.overlapEvents <= 2, `${m.streamId}: ${m.overlapEvents} events from both workers`);
    }
    const byWorker = h.byWorker();
    assert.deepEqual(['w1', 'w3', 'w4'].map((w) => byWorker.get(w)?.length), [2, 2, 2]);
  });

  /** How often worker `w` logged that it stopped its two streams for lack of Kafka. */
  const fenced = (w: string) => h.stderrOf(w).match(/stopping 2 stream\(s\) rather than run them unowned/g)?.length ?? 0;

  it('Kafka frozen (SIGSTOP, connections open, no answer): each worker stops its streams when its heartbeats stop; thawed: back', async () => {
    const before = ['w1', 'w3', 'w4'].map(fenced);
    process.kill(broker.pid!, 'SIGSTOP');
    const t0 = Date.now();
    try {
      const took = await h.waitFor('every worker fenced', () => ['w1', 'w3', 'w4'].every((w, i) => fenced(w) > before[i]!), SESSION_MS + 10_000);
      process.stderr.write(`# Kafka frozen: streams stopped after ${took} ms\n`);
      // the contact timeout (session - heartbeat = 5 s) counts from the last heartbeat, up to ~1.5 s before the freeze
      assert.ok(Date.now() - t0 >= SESSION_MS - 1000 - 2000, 'not before the contact timeout');
      for (const w of ['w1', 'w3', 'w4']) assert.match(h.stderrOf(w), /lost the group \(no heartbeat for \d+ s\)/);
    } finally {
      process.kill(broker.pid!, 'SIGCONT');
    }
    const t1 = Date.now();
    await h.waitFor('all six streams back after the thaw', () => ids.every((s) => h.detections(s).some((o) => Date.parse(o.event.emitTime) > t1)), 60_000);
  });

  it('Kafka gone: the workers stop their streams rather than run them unowned', async () => {
    const before = ['w1', 'w3', 'w4'].map(fenced);
    await h.stopReading();
    await broker.kill();
    const t0 = Date.now();
    await h.waitFor('every worker stopped its two streams', () => ['w1', 'w3', 'w4'].every((w, i) => fenced(w) > before[i]!), SESSION_MS + 10_000);
    process.stderr.write(`# Kafka down: streams stopped after ${Date.now() - t0} ms\n`);
    // and the status events say so (w1's JSONL; Kafka is gone)
    const events = readFileSync(join(tmp.dir, 'w1.jsonl'), 'utf8')
      .split('\n')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as PipelineEvent];
        } catch {
          return []; // a line being written
        }
      });
    const stops = events.filter((e) => e.type === 'status' && e.state === 'ended' && /^stopped: worker lost contact with Kafka/.test(e.reason ?? ''));
    assert.ok(stops.length >= 2, `${stops.length} stops for lack of Kafka in w1's events`);
  });

  it('Kafka back: the workers rejoin and all six streams give events again', async () => {
    await broker.restart();
    const t0 = Date.now();
    await h.startReading();
    const took = await h.waitFor('all six streams back', () => ids.every((s) => h.detections(s).some((o) => Date.parse(o.event.emitTime) > t0)), 90_000);
    process.stderr.write(`# Kafka back: all streams give events ${took} ms after the broker answered\n`);
    const byWorker = h.byWorker();
    assert.deepEqual(['w1', 'w3', 'w4'].map((w) => byWorker.get(w)?.length), [2, 2, 2]);
  });
});
