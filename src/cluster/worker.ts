// What a cluster worker runs, decided from its group membership: the streams of the registry partitions
// assigned to it. Kafka-free (cluster/member.ts feeds it), so its decisions are tested on their own.
//
// Diff on assign: kafkajs rebalances eagerly (every member loses every partition, then gets a new set),
// so on each assignment the worker stops only the streams of partitions it no longer has; partitions it
// keeps are read again from the start (nothing is committed) and their streams go on untouched unless
// the re-read shows they were removed or changed. New partitions start their streams once read to the
// offset they had at assignment (so a stream added and removed earlier never starts for a moment).
//
// Liveness: when the group has not heard from this worker for `contactTimeoutMs` (no heartbeat, a crash),
// the others may already run its streams: it stops them all (fenced) and starts them again on the next
// heartbeat or assignment.
import { decodeStreamSpec, sameSpec, type StreamSpec } from './streamSpec.ts';

/** Starts and stops streams (a Pipeline's addInput/removeInput in `run --cluster`). */
export interface StreamRunner {
  start(spec: StreamSpec): void;
  stop(id: string, reason: string): Promise<void> | void;
}

export interface ClusterWorkerOptions {
  runner: StreamRunner;
  /** Stop everything when the group has not answered for this long (session timeout minus one heartbeat). */
  contactTimeoutMs: number;
  /** A partition not read to its assignment-time end within this long is taken as read (a compacted-away tail). */
  catchUpTimeoutMs?: number;
  log?: (message: string) => void;
  now?: () => number;
}

/** Counters for metrics (cluster/metrics.ts). */
export interface ClusterWorkerStats {
  /** Assignments received: one per rebalance this worker took part in. */
  assignments: number;
  starts: number;
  /** Stream stops by cause. */
  stops: Record<StopCause, number>;
  fenced: boolean;
}

export type StopCause = 'revoked' | 'removed' | 'changed' | 'fenced' | 'shutdown';

export interface AssignedOffsets {
  low: number;
  high: number;
}

interface PartitionState {
  /** The streams this partition holds, as last read to its end. */
  desired: Map<string, StreamSpec>;
  /** While (re)reading after an assignment: what was read so far and the offset that ends the read. */
  reading: { specs: Map<string, StreamSpec>; lastOffset: number; since: number } | null;
}

export class ClusterWorker {
  private readonly partitions = new Map<number, PartitionState>();
  /** Streams running now, with their partition. */
  private readonly running = new Map<string, { spec: StreamSpec; partition: number }>();
  private fenced = false;
  private readonly counts: Omit<ClusterWorkerStats, 'fenced'> = { assignments: 0, starts: 0, stops: { revoked: 0, removed: 0, changed: 0, fenced: 0, shutdown: 0 } };
  private lastContact: number;
  private readonly now: () => number;
  private readonly log: (m: string) => void;
  private readonly catchUpTimeoutMs: number;

  constructor(private readonly o: ClusterWorkerOptions) {
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => {});
    this.catchUpTimeoutMs = o.catchUpTimeoutMs ?? 10_000;
    this.lastContact = this.now();
  }

  /** Partitions assigned now (sent in the next join, which keeps the assignment sticky). */
  owned(): number[] {
    return [...this.partitions.keys()].sort((a, b) => a - b);
  }

  /** Stream ids running now. */
  streams(): string[] {
    return [...this.running.keys()].sort();
  }

  stats(): ClusterWorkerStats {
    return { ...this.counts, stops: { ...this.counts.stops }, fenced: this.fenced };
  }

  /** A new assignment (after every rebalance). */
  assign(partitions: number[], offsets: Map<number, AssignedOffsets>): void {
    // owned again; what to run follows from reading the partitions (not from the state before a fence)
    this.lastContact = this.now();
    this.fenced = false;
    this.counts.assignments++;
    const next = new Set(partitions);
    for (const [id, r] of [...this.running]) if (!next.has(r.partition)) this.stopStream(id, 'revoked', `revoked: partition ${r.partition} went to another worker`);
    for (const p of [...this.partitions.keys()]) if (!next.has(p)) this.partitions.delete(p);
    for (const p of next) {
      const state = this.partitions.get(p) ?? { desired: new Map(), reading: null };
      this.partitions.set(p, state);
      const end = offsets.get(p);
      state.reading = { specs: new Map(), lastOffset: end ? end.high - 1 : -1, since: this.now() };
      if (!end || end.high <= end.low) this.readDone(p, state);
    }
    this.log(`assigned partitions [${partitions.join(',')}]; running ${this.running.size} stream(s)`);
  }

  /** A registry record of an assigned partition (value null: tombstone). */
  record(partition: number, offset: number, key: string, value: string | null): void {
    const state = this.partitions.get(partition);
    if (!state) return;
    let spec: StreamSpec | null;
    try {
      spec = decodeStreamSpec(key, value);
    } catch (e) {
      this.log(`ignoring registry record ${partition}@${offset}: ${(e as Error).message}`);
      spec = null;
    }
    const specs = state.reading ? state.reading.specs : state.desired;
    if (spec) specs.set(key, spec);
    else specs.delete(key);
    if (state.reading) {
      if (offset >= state.reading.lastOffset) this.readDone(partition, state);
      return;
    }
    this.reconcile(partition, state, [key]);
  }

  /** The group heard from us (heartbeat or join). */
  contact(): void {
    this.lastContact = this.now();
    if (!this.fenced) return;
    this.fenced = false;
    this.log('back in contact with the group: starting its streams again');
    for (const [p, state] of this.partitions) if (!state.reading) this.reconcile(p, state, [...state.desired.keys()]);
  }

  /** Kafka is gone (the consumer crashed): nobody vouches for our ownership any more. */
  lost(reason: string): void {
    if (this.fenced) return;
    this.fenced = true;
    if (this.running.size) this.log(`lost the group (${reason}): stopping ${this.running.size} stream(s) rather than run them unowned`);
    for (const id of [...this.running.keys()]) this.stopStream(id, 'fenced', `stopped: worker lost contact with Kafka (${reason})`);
  }

  /** Called every second or so: fences the worker after contactTimeoutMs of silence; ends stuck reads. */
  tick(): void {
    const now = this.now();
    if (!this.fenced && now - this.lastContact > this.o.contactTimeoutMs) this.lost(`no heartbeat for ${Math.round((now - this.lastContact) / 1000)} s`);
    for (const [p, state] of this.partitions) {
      if (state.reading && now - state.reading.since > this.catchUpTimeoutMs) {
        this.log(`partition ${p}: not read to offset ${state.reading.lastOffset} within ${this.catchUpTimeoutMs} ms; using what was read`);
        this.readDone(p, state);
      }
    }
  }

  /** Stops every stream (shutdown). */
  async stopAll(reason: string): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.stopStream(id, 'shutdown', reason)));
    this.partitions.clear();
  }

  private readDone(partition: number, state: PartitionState): void {
    const before = state.desired;
    state.desired = state.reading!.specs;
    state.reading = null;
    this.reconcile(partition, state, [...new Set([...before.keys(), ...state.desired.keys(), ...this.idsOf(partition)])]);
  }

  private idsOf(partition: number): string[] {
    return [...this.running].filter(([, r]) => r.partition === partition).map(([id]) => id);
  }

  /** Makes the running streams among `ids` match the partition's desired specs. */
  private reconcile(partition: number, state: PartitionState, ids: string[]): void {
    for (const id of ids) {
      const want = state.desired.get(id);
      const have = this.running.get(id);
      if (have && (!want || !sameSpec(have.spec, want))) void (want ? this.stopStream(id, 'changed', 'restarted: its spec changed') : this.stopStream(id, 'removed', 'removed from the registry'));
      if (want && !this.fenced && (!have || !sameSpec(have.spec, want))) this.startStream(partition, want);
    }
  }

  private startStream(partition: number, spec: StreamSpec): void {
    try {
      this.o.runner.start(spec);
      this.running.set(spec.id, { spec, partition });
      this.counts.starts++;
    } catch (e) {
      this.log(`stream ${spec.id}: cannot start: ${(e as Error).message}`);
    }
  }

  private stopStream(id: string, cause: StopCause, reason: string): Promise<void> | void {
    if (!this.running.delete(id)) return;
    this.counts.stops[cause]++;
    return this.o.runner.stop(id, reason);
  }
}
