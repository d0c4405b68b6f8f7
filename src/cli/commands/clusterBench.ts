// retinastream bench cluster: what a rebalance costs, measured on a cluster on this machine (a benchmark,
// not a test): one Kafka (--kafka, or a local broker from the jars of scripts/setup/kafka.sh), N worker
// processes, S looped file streams (one per registry partition). Three events:
//   1. a worker SIGKILLed: time from the kill to each of its streams' first event on another worker
//      (session timeout + rebalance + restart), streams moved;
//   2. a worker added: streams moved (sticky: the fewest), the gap of each moved stream;
//   3. a worker stopped with SIGTERM (it leaves the group: no session timeout to wait for).
// For each move: the gap between the old worker's last event and the new one's first (frames missing: gap x
// source fps) and events from both workers at once (duplicated). Progress on stderr, figures on stdout.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ClusterHarness, type Move } from '../../cluster/harness.ts';
import { kafkaTarget } from '../../bench/kafkaTarget.ts';
import { findFfmpeg } from '../../pipeline/ingest/findFfmpeg.ts';
import { tempDirFor } from '../../cluster/tempDir.ts';
import { intFlag, parse } from '../args.ts';
import { UsageError } from '../errors.ts';

const log = (m: string) => process.stderr.write(`bench cluster: ${m}\n`);
const load = () => loadavg()[0]!.toFixed(2);

export interface RebalanceFigures {
  event: string;
  /** ms from the kill/start/stop to the last moved stream's first event on its new worker. */
  recoveryMs: number;
  streamsMoved: number;
  /** Per moved stream: ms without events, frames missing (gap x fps), events duplicated. */
  moves: Array<{ streamId: string; from: string; to: string; gapMs: number; framesMissing: number; duplicated: number }>;
  /** 1-minute load average when it happened. */
  load: number;
}

function figures(event: string, t0: number, moves: Move[], fps: number): RebalanceFigures {
  return {
    event,
    recoveryMs: moves.length ? Math.max(...moves.map((m) => m.firstNew)) - t0 : 0,
    streamsMoved: moves.length,
    moves: moves.map((m) => ({ streamId: m.streamId, from: m.from, to: m.to, gapMs: m.firstNew - m.lastOld, framesMissing: Math.round(((m.firstNew - m.lastOld) / 1000) * fps), duplicated: m.overlapEvents })),
    load: loadavg()[0]!,
  };
}

export async function benchClusterCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('bench cluster', argv, {
    kafka: { type: 'string' },
    workers: { type: 'string' },
    streams: { type: 'string' },
    fps: { type: 'string' },
    'session-timeout-ms': { type: 'string' },
    'heartbeat-interval-ms': { type: 'string' },
    backend: { type: 'string' },
    canvas: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length) throw new UsageError(`retinastream bench cluster: unexpected argument "${positionals[0]}"`);
  const workers = intFlag('workers', values.workers, 3, 2, 16);
  const streams = intFlag('streams', values.streams, 6, 1, 64);
  const fps = intFlag('fps', values.fps, 4, 1, 60);
  const sessionTimeoutMs = intFlag('session-timeout-ms', values['session-timeout-ms'], 6000, 6000, 300000);
  const heartbeatIntervalMs = intFlag('heartbeat-interval-ms', values['heartbeat-interval-ms'], 1000, 100, Math.floor(sessionTimeoutMs / 3));
  const canvas = values.canvas ?? '320x192';
  const target = await kafkaTarget(values.kafka, false, log);
  if ('skipped' in target) throw new UsageError(`retinastream bench cluster: no Kafka: ${target.skipped}`);
  const tmp = tempDirFor('rs-bench-cluster-');
  const [w, hgt] = canvas.split('x');
  const clip = join(tmp.dir, 'clip.mp4');
  const ff = spawnSync(findFfmpeg(), ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${w}x${hgt}:rate=${fps}`, '-frames:v', String(fps * 4), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip], { encoding: 'utf8' });
  if (ff.status !== 0) throw new Error(`ffmpeg could not make the test clip: ${ff.stderr.trim().split('\n').at(-1)}`);
  const h = new ClusterHarness({
    brokers: target.bootstrap,
    cluster: `bench-${randomBytes(4).toString('hex')}`,
    dir: tmp.dir,
    registryPartitions: streams,
    sessionTimeoutMs,
    heartbeatIntervalMs,
    workerArgs: ['--backend', values.backend ?? 'wasm', '--workers', '1', '--max-batch', '1', '--canvas', canvas],
  });
  const report: RebalanceFigures[] = [];
  try {
    await h.start();
    const ids = h.idsOnDistinctPartitions(`bench-${randomBytes(2).toString('hex')}`, streams);
    const registry = `retinastream.streams`;
    const first = await h.cli(['add', `${ids[0]}=${clip}`, '--loop', '--partitions', String(streams), '--registry-topic', registry]);
    if (first.code !== 0) throw new Error(`streams add: ${first.stderr.trim()}`);
    for (const r of await Promise.all(ids.slice(1).map((id) => h.cli(['add', `${id}=${clip}`, '--loop', '--registry-topic', registry])))) {
      if (r.code !== 0) throw new Error(`streams add: ${r.stderr.trim()}`);
    }
    const names = Array.from({ length: workers }, (_, i) => `w${i + 1}`);
    log(`${workers} workers, ${streams} streams at ${fps} fps, session timeout ${sessionTimeoutMs} ms (${tmp.dir})`);
    for (const n of names) h.startWorker(n);
    const steady = () => h.owners().size === streams && [...h.owners()].every(([s, wk]) => h.detections(s, wk).length > 0);
    await h.waitFor('every stream running', steady, 180_000);
    await new Promise((r) => setTimeout(r, 3000));

    log(`SIGKILL ${names[1]} (load ${load()})`);
    let t0 = Date.now();
    const victims = h.byWorker().get(names[1]!) ?? [];
    await h.signal(names[1]!, 'SIGKILL');
    await h.waitFor('the killed worker\'s streams back', () => victims.every((s) => h.detections(s).some((o) => o.event.worker !== names[1] && Date.parse(o.event.emitTime) > t0)), sessionTimeoutMs + 60_000);
    await new Promise((r) => setTimeout(r, 2000));
    report.push(figures(`SIGKILL 1 of ${workers} workers`, t0, h.moves(ids, t0), fps));

    const added = `w${workers + 1}`;
    log(`start ${added} (load ${load()})`);
    t0 = Date.now();
    h.startWorker(added);
    await h.waitFor(`${added} running streams`, () => (h.byWorker().get(added) ?? []).some((s) => h.detections(s, added).length > 0), 120_000);
    await new Promise((r) => setTimeout(r, 3000));
    report.push(figures(`worker added (${workers - 1} -> ${workers})`, t0, h.moves(ids, t0), fps));

    log(`SIGTERM ${names[0]} (load ${load()})`);
    const leaving = h.byWorker().get(names[0]!) ?? [];
    t0 = Date.now();
    await h.signal(names[0]!, 'SIGTERM');
    await h.waitFor('the stopped worker\'s streams back', () => leaving.every((s) => h.detections(s).some((o) => o.event.worker !== names[0] && Date.parse(o.event.emitTime) > t0)), 60_000);
    await new Promise((r) => setTimeout(r, 2000));
    report.push(figures(`SIGTERM 1 of ${workers} workers (leaves the group)`, t0, h.moves(ids, t0), fps));
  } finally {
    await h.close();
    await target.close();
    tmp.cleanup();
  }
  if (values.json) {
    process.stdout.write(JSON.stringify({ workers, streams, fps, sessionTimeoutMs, heartbeatIntervalMs, canvas, rebalances: report }) + '\n');
    return 0;
  }
  const lines = [`cluster: ${workers} workers, ${streams} streams (${fps} fps, one per partition), session timeout ${sessionTimeoutMs} ms, heartbeat ${heartbeatIntervalMs} ms`];
  for (const r of report) {
    const gaps = r.moves.map((m) => m.gapMs);
    lines.push(
      `${r.event}: ${r.streamsMoved} stream(s) moved, all back after ${(r.recoveryMs / 1000).toFixed(1)} s; gap per moved stream ${gaps.length ? `${(Math.min(...gaps) / 1000).toFixed(1)}-${(Math.max(...gaps) / 1000).toFixed(1)} s` : '-'}, ` +
        `frames missing ${r.moves.reduce((n, m) => n + m.framesMissing, 0)}, events duplicated ${r.moves.reduce((n, m) => n + m.duplicated, 0)} (load ${r.load.toFixed(2)})`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
