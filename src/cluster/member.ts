// A cluster worker's membership: ensures the registry topic, joins the consumer group, feeds the
// ClusterWorker (assignments, registry records, contact), and checks its liveness every half second.
import { map, type OperatorFunction } from 'rxjs';
import { createGroupMember, createRegistryStore, type KafkaClientOptions } from '../pipeline/kafkaClient.ts';
import type { PipelineEvent } from '../pipeline/types.ts';
import type { Registry } from 'prom-client';
import { registerClusterMetrics } from './metrics.ts';
import { ClusterWorker, type StreamRunner } from './worker.ts';

export interface MembershipOptions extends KafkaClientOptions {
  /** Consumer group = cluster name. */
  name: string;
  workerId: string;
  registryTopic: string;
  /** Partitions when this worker creates the registry topic. */
  partitions: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  runner: StreamRunner;
  info?: (message: string) => void;
  /** Where the worker's metrics go (the run's /metrics). */
  registry?: Registry;
}

export interface Membership {
  readonly worker: ClusterWorker;
  /** Stops this worker's streams, then leaves the group (no moment where two workers run a stream). */
  stop(): Promise<void>;
}

/** Joins the cluster; rejects (RS_ERR_KAFKA_UNREACHABLE) when Kafka cannot be reached. */
export async function joinCluster(o: MembershipOptions): Promise<Membership> {
  const info = o.info ?? (() => {});
  const store = createRegistryStore(o);
  try {
    const n = await store.ensureTopic(o.registryTopic, o.partitions, { compact: true });
    info(`cluster ${o.name}: worker ${o.workerId}, registry ${o.registryTopic} (${n} partitions), session timeout ${o.sessionTimeoutMs} ms`);
  } finally {
    await store.close();
  }
  const worker = new ClusterWorker({ runner: o.runner, contactTimeoutMs: o.sessionTimeoutMs - o.heartbeatIntervalMs, log: (m) => info(`cluster: ${m}`) });
  if (o.registry) registerClusterMetrics(o.registry, worker);
  const member = createGroupMember({ ...o, groupId: o.name, topic: o.registryTopic, membership: () => ({ worker: o.workerId, owned: worker.owned() }) });
  const timer = setInterval(() => worker.tick(), 500);
  try {
    await member.start({
      onAssign: (partitions, offsets) => worker.assign(partitions, offsets),
      onRecord: (r) => worker.record(r.partition, r.offset, r.key, r.value),
      onContact: () => worker.contact(),
      onCrash: (e, restarting) => worker.lost(`${e.message}${restarting ? '; rejoining' : ''}`),
    });
  } catch (e) {
    clearInterval(timer);
    await member.stop();
    throw e;
  }
  return {
    worker,
    async stop() {
      clearInterval(timer);
      await worker.stopAll('stopped: worker shutting down');
      await member.stop();
    },
  };
}

/** Marks every event with the worker that produced it (the optional `worker` field of schema v1). */
export function stampWorker(worker: string): OperatorFunction<PipelineEvent, PipelineEvent> {
  return map((e) => ({ ...e, worker }));
}
