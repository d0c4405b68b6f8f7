// A cluster on this machine, for the cluster test and `bench cluster`: worker processes (`run --cluster`)
// against one Kafka, the `streams` CLI, and every detection and status event read back from Kafka.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../config/runConfig.ts';
import { createRegistryStore, partitionOf, tailTopics } from '../pipeline/kafkaClient.ts';
import type { DetectionEvent, PipelineEvent, StreamStatusEvent } from '../pipeline/types.ts';

const BIN = join(PROJECT_ROOT, 'bin', 'retinastream.js');

export interface HarnessOptions {
  brokers: string;
  /** Consumer group name. */
  cluster: string;
  /** Where each worker's stderr (ID.err) and JSONL (ID.jsonl) go. */
  dir: string;
  registryPartitions: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** More `run` flags for every worker (backend, canvas, batch...). */
  workerArgs?: string[];
  topic?: string;
  statusTopic?: string;
}

export interface Observed<E extends PipelineEvent = PipelineEvent> {
  event: E;
  /** When the harness read it from Kafka (ms since epoch). */
  readAt: number;
}

export interface Move {
  streamId: string;
  from: string;
  to: string;
  /** emitTime of the old worker's last detection event and of the new worker's first (ms since epoch). */
  lastOld: number;
  firstNew: number;
  /** Detection events of the old worker emitted after the new worker's first one: both ran the stream. */
  overlapEvents: number;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class ClusterHarness {
  readonly events: Observed[] = [];
  readonly workers = new Map<string, ChildProcess>();
  private tail: { stop(): Promise<void> } | null = null;
  private readonly topic: string;
  private readonly statusTopic: string;

  constructor(readonly o: HarnessOptions) {
    this.topic = o.topic ?? 'detections';
    this.statusTopic = o.statusTopic ?? 'detections.status';
  }

  /** Creates the event topics and starts reading them. */
  async start(): Promise<void> {
    const store = createRegistryStore({ brokers: [this.o.brokers] });
    try {
      for (const t of [this.topic, this.statusTopic]) await store.ensureTopic(t, 1, { compact: false });
    } finally {
      await store.close();
    }
    await this.startReading();
  }

  /** Reads the event topics (again: after stopReading(), from their beginning; events already seen are skipped). */
  async startReading(): Promise<void> {
    if (this.tail) return;
    const seen = new Set(this.events.map((o) => JSON.stringify(o.event)));
    this.tail = await tailTopics({ brokers: [this.o.brokers] }, [this.topic, this.statusTopic], (_, r) => {
      if (!r.value || seen.has(r.value)) return;
      this.events.push({ event: JSON.parse(r.value) as PipelineEvent, readAt: Date.now() });
    });
  }

  /** `retinastream streams ...` against this cluster's Kafka. */
  cli(args: string[], timeoutMs = 60_000): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'streams', ...args, '--kafka-brokers', this.o.brokers], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Stream ids (PREFIX-N) whose registry records land on partitions 0..count-1, one each (count <= partitions). */
  idsOnDistinctPartitions(prefix: string, count: number): string[] {
    const byPartition = new Map<number, string>();
    for (let n = 0; byPartition.size < count; n++) {
      const id = `${prefix}-${n}`;
      const p = partitionOf(id, this.o.registryPartitions);
      if (p < count && !byPartition.has(p)) byPartition.set(p, id);
    }
    return [...byPartition.entries()].sort(([a], [b]) => a - b).map(([, id]) => id);
  }

  /** `run` flags of worker `id` (what startWorker passes). */
  workerFlags(id: string): string[] {
    return [
      '--cluster', this.o.cluster, '--worker-id', id, '--kafka-brokers', this.o.brokers,
      '--registry-topic', 'retinastream.streams', '--partitions', String(this.o.registryPartitions),
      '--session-timeout-ms', String(this.o.sessionTimeoutMs), '--heartbeat-interval-ms', String(this.o.heartbeatIntervalMs),
      '--kafka-topic', this.topic, '--kafka-status-topic', this.statusTopic,
      '--jsonl', join(this.o.dir, `${id}.jsonl`), '--no-ws', '--status-interval-ms', '0', ...(this.o.workerArgs ?? []),
    ];
  }

  startWorker(id: string): ChildProcess {
    return this.spawnWorker(id, process.execPath, [BIN, 'run', ...this.workerFlags(id)]);
  }

  /**
   * Worker `id` started by a launcher (examples/cluster/run-workers.sh) that execs the worker itself, so
   * that signals reach it; `args` are the launcher's, `env` is added to this environment.
   */
  startLaunched(id: string, command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
    return this.spawnWorker(id, command, args, env);
  }

  /** Stderr of worker `id` so far. */
  stderrOf(id: string): string {
    return readFileSync(join(this.o.dir, `${id}.err`), 'utf8');
  }

  private spawnWorker(id: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const err = openSync(join(this.o.dir, `${id}.err`), 'a');
    const child = spawn(command, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', err], env: { ...process.env, ...env } });
    closeSync(err);
    this.workers.set(id, child);
    return child;
  }

  /** Sends `signal`; resolves once the process exited. */
  async signal(id: string, signal: NodeJS.Signals): Promise<void> {
    const child = this.workers.get(id);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }

  detections(streamId?: string, worker?: string): Array<Observed<DetectionEvent>> {
    return this.events.filter((o): o is Observed<DetectionEvent> => o.event.type === 'detections' && (!streamId || o.event.streamId === streamId) && (!worker || o.event.worker === worker));
  }

  statuses(streamId?: string): Array<Observed<StreamStatusEvent>> {
    return this.events.filter((o): o is Observed<StreamStatusEvent> => o.event.type === 'status' && (!streamId || o.event.streamId === streamId));
  }

  /** Who runs each stream now, by its latest status event ('ended'/'failed': nobody). */
  owners(): Map<string, string> {
    const latest = new Map<string, StreamStatusEvent>();
    for (const { event } of this.statuses()) {
      const prev = latest.get(event.streamId);
      if (!prev || prev.time <= event.time) latest.set(event.streamId, event);
    }
    const out = new Map<string, string>();
    for (const [id, e] of latest) if (e.state !== 'ended' && e.state !== 'failed' && e.worker) out.set(id, e.worker);
    return out;
  }

  /** Worker -> its streams, from owners(). */
  byWorker(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [s, w] of this.owners()) out.set(w, [...(out.get(w) ?? []), s].sort());
    return out;
  }

  /** Streams whose detections came from a worker other than `from` after `since` (ms), for each stream of `streams`. */
  moves(streams: string[], since: number): Move[] {
    const out: Move[] = [];
    for (const s of streams) {
      const dets = this.detections(s).map((o) => ({ w: o.event.worker ?? '', t: Date.parse(o.event.emitTime) }));
      const before = dets.filter((d) => d.t <= since);
      const from = before.at(-1)?.w;
      const firstNew = dets.find((d) => d.t > since && d.w !== from);
      if (!from || !firstNew) continue;
      const old = dets.filter((d) => d.w === from);
      out.push({ streamId: s, from, to: firstNew.w, lastOld: old.at(-1)!.t, firstNew: firstNew.t, overlapEvents: old.filter((d) => d.t > firstNew.t).length });
    }
    return out;
  }

  /** Polls `cond` every 100 ms; rejects naming `what` (and the state) after timeoutMs. */
  waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        if (cond()) {
          clearInterval(timer);
          resolve(Date.now() - t0);
        } else if (Date.now() - t0 > timeoutMs) {
          clearInterval(timer);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; streams by worker: ${JSON.stringify(Object.fromEntries(this.byWorker()))}`));
        }
      }, 100);
    });
  }

  /** Stops reading events (before Kafka goes away: a reader left behind would keep reconnecting). */
  async stopReading(): Promise<void> {
    const tail = this.tail;
    this.tail = null;
    await Promise.race([tail?.stop(), new Promise((r) => setTimeout(r, 5000).unref())]);
  }

  /** SIGKILLs the workers still running and stops reading events. */
  async close(): Promise<void> {
    await Promise.all([...this.workers.keys()].map((id) => this.signal(id, 'SIGKILL')));
    await this.stopReading();
  }
}
