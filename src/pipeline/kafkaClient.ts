// retinastream's Kafka interface and its kafkajs implementation: the only file that imports kafkajs. The Kafka
// sink depends on EventProducer (createKafkajsProducer: the detections and status events); cluster mode on
// RegistryStore and GroupMember (the registry topic, the consumer group with the sticky assigner, admin). Another
// client (e.g. @confluentinc/kafka-javascript, librdkafka-based) could implement the same interfaces.

import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import kafkajs, { AssignerProtocol, CompressionTypes, Kafka, Partitioners, logLevel, type Admin, type Consumer, type LogEntry, type PartitionAssigner, type Producer } from 'kafkajs';
import { RetinaStreamError } from '../errors.ts';
import { stickyAssign } from '../cluster/stickyAssign.ts';

// ---- the event producer (Kafka sink) ----
export type KafkaOptionErrorCode = 'RS_ERR_KAFKA_OPTION';

/** The broker refused a request as larger than its message.max.bytes: a smaller one may go through. */
export const TOO_LARGE = 'RS_ERR_KAFKA_TOO_LARGE';
export class KafkaTooLargeError extends RetinaStreamError<typeof TOO_LARGE> {}

/** A Kafka producer or sink option is invalid; the message names the option and what was expected. */
export class KafkaOptionError extends RetinaStreamError<'RS_ERR_KAFKA_OPTION'> {
  constructor(message: string) {
    super('RS_ERR_KAFKA_OPTION', message);
  }
}

export interface ProducerMessage {
  key: string;
  value: string;
}

export interface EventProducer {
  /** Rejects while no broker answers; may be called again after a failure. */
  connect(): Promise<void>;
  /**
   * Resolves once every message is acknowledged by all in-sync replicas; rejects otherwise, with a
   * KafkaTooLargeError (code RS_ERR_KAFKA_TOO_LARGE) when the request is over the broker's size limit.
   */
  send(topic: string, messages: ProducerMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

export type ClientLog = (level: 'warn' | 'error', message: string) => void;

export interface KafkajsProducerOptions {
  /** Bootstrap brokers, "host:port". */
  brokers: string[];
  clientId?: string;
  /** TCP connect timeout per broker. */
  connectionTimeoutMs?: number;
  /** How long a produce request may wait for its acknowledgement. */
  requestTimeoutMs?: number;
  /**
   * Retries kafkajs makes inside one send() before it rejects (enough to ride out a new topic's
   * leader election). Kept small: the sink retries with its own backoff, always the same
   * messages in the same order, while it buffers.
   */
  retries?: number;
  compression?: 'gzip' | 'none';
  /** Where kafkajs's own warnings and errors go; dropped when omitted (the sink reports outages itself). */
  log?: ClientLog;
}

const DEFAULTS = {
  clientId: 'retinastream',
  connectionTimeoutMs: 3000,
  requestTimeoutMs: 15000,
  retries: 3,
  compression: 'gzip',
} as const;

/**
 * GZIP at zlib level 1 instead of kafkajs's default (zlib's 6): on detection events (JSON) it compresses
 * 3x faster for ~15% more bytes (a 4.3 MB batch of 8 KB events: 19 vs 62 ms, 0.72 vs 0.56 MB). kafkajs
 * keeps one codec per type for the whole process, so this is set for every kafkajs client in it; the
 * format is plain GZIP, which any consumer reads.
 */
const GZIP_LEVEL = 1;
const gzip = promisify(zlib.gzip);
const unzip = promisify(zlib.unzip);
// (CompressionCodecs is on the CommonJS exports object only: Node's ESM named-export detection misses it)
kafkajs.CompressionCodecs[CompressionTypes.GZIP] = () => ({
  compress: (encoder: { buffer: Buffer }) => gzip(encoder.buffer, { level: GZIP_LEVEL }),
  decompress: (buffer: Buffer) => unzip(buffer),
});

// kafkajs warns when an idempotent producer's retries are bounded, because an application that
// gave up on a batch and sent different records next would break the sequence numbers. The sink
// resends the very same batch until it is acknowledged, so the warning does not apply.
const EXPECTED_WARNING = /Limiting retries for the idempotent producer/;

/**
 * Idempotent producer (acks = all, one request in flight per connection so retries cannot
 * reorder), GZIP-compressed batches (level 1), Java-compatible murmur2 partitioner (key -> partition).
 */
export function createKafkajsProducer(opts: KafkajsProducerOptions): EventProducer {
  if (!Array.isArray(opts.brokers) || opts.brokers.length === 0 || opts.brokers.some((b) => !/^[^:\s]+:\d+$/.test(b))) {
    throw new KafkaOptionError(`kafka brokers ${JSON.stringify(opts.brokers)}: expected a non-empty list of "host:port"`);
  }
  if (opts.compression !== undefined && opts.compression !== 'gzip' && opts.compression !== 'none') {
    throw new KafkaOptionError(`kafka compression ${JSON.stringify(opts.compression)}: expected "gzip" or "none"`);
  }
  // Options left undefined (an unset CLI flag) take the default instead of overriding it.
  const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as Partial<KafkajsProducerOptions>;
  const o = { ...DEFAULTS, ...given, brokers: opts.brokers };
  // Connecting retries once: kafkajs nests this retrier inside the producer's, and the sink
  // should hear of an outage within seconds (it buffers and retries on its own schedule).
  const kafka = kafkaFor(o, { retries: 1, initialRetryTime: 100, maxRetryTime: 1000 }, EXPECTED_WARNING);
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: true,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Math.max(1, o.retries), initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const compression = o.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;

  return {
    connect: () => producer.connect(),
    send: async (topic, messages) => {
      try {
        await producer.send({ topic, messages, acks: -1, compression, timeout: o.requestTimeoutMs });
      } catch (e) {
        // not retriable for kafkajs: nothing of the request was written
        if ((e as { type?: string }).type === 'MESSAGE_TOO_LARGE') {
          throw new KafkaTooLargeError(TOO_LARGE, `kafka: ${messages.length} message(s) to ${topic} are over the broker's size limit (message.max.bytes)`, { cause: e });
        }
        throw e;
      }
    },
    disconnect: () => producer.disconnect(),
  };
}

// ---- cluster mode: registry, consumer group, admin ----

export class KafkaUnreachableError extends RetinaStreamError<'RS_ERR_KAFKA_UNREACHABLE'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RS_ERR_KAFKA_UNREACHABLE', message, options);
  }
}

export interface KafkaClientOptions {
  /** Bootstrap brokers, "host:port". */
  brokers: string[];
  clientId?: string;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** kafkajs's own warnings and errors; dropped when omitted. */
  log?: ClientLog;
}

/** One record of a topic; value null is a tombstone. */
export interface TopicRecord {
  partition: number;
  offset: number;
  key: string;
  value: string | null;
}

/** Offsets of one partition: low = first kept, high = next to be written. */
export interface PartitionOffsets {
  low: number;
  high: number;
}

/**
 * A kafkajs client (the event producer's and the cluster's): kafkajs's warnings and errors go to `o.log`, one line
 * each, except those matching `ignore`.
 */
function kafkaFor(o: KafkaClientOptions, retry = { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 }, ignore?: RegExp): Kafka {
  const log = o.log;
  return new Kafka({
    clientId: o.clientId ?? 'retinastream',
    brokers: o.brokers,
    connectionTimeout: o.connectionTimeoutMs ?? 3000,
    requestTimeout: o.requestTimeoutMs ?? 15000,
    retry,
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const message = entry.log.message;
      if (!log || ignore?.test(message)) return;
      const error = typeof entry.log.error === 'string' ? `: ${entry.log.error}` : '';
      log(entry.level === logLevel.ERROR ? 'error' : 'warn', `kafkajs ${entry.namespace} ${message}${error}`);
    },
  });
}

const unreachable = (brokers: string[], what: string, e: unknown) =>
  new KafkaUnreachableError(`kafka brokers ${brokers.join(',')}: ${what} failed (${(e as Error).message ?? String(e)})`, { cause: e });

/** The partition of `key` among `partitions` (murmur2, as the producers here and Java clients place it). */
export function partitionOf(key: string, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
  return Partitioners.DefaultPartitioner()({ topic: 't', partitionMetadata, message: { key, value: null } });
}

/** Topics as a key-value store: the stream registry (compacted) and the tail of the status topic. */
export interface RegistryStore {
  /** Creates `topic` with `partitions` partitions (compacted: a key-value store) unless it exists; returns its partition count. */
  ensureTopic(topic: string, partitions: number, opts: { compact: boolean }): Promise<number>;
  /** Offsets per partition now; [] when the topic does not exist. */
  offsets(topic: string): Promise<Map<number, PartitionOffsets>>;
  /** Every record up to the offsets at call time (or the last `tailPerPartition` of each partition), in offset order per partition. */
  read(topic: string, opts?: { tailPerPartition?: number; timeoutMs?: number }): Promise<TopicRecord[]>;
  /** Writes one record (null: tombstone) to the key's partition (murmur2, as Java clients), acknowledged by all in-sync replicas. */
  put(topic: string, key: string, value: string | null): Promise<void>;
  close(): Promise<void>;
}

export function createRegistryStore(o: KafkaClientOptions): RegistryStore {
  const kafka = kafkaFor(o);
  let admin: Admin | null = null;
  const connectedAdmin = async (): Promise<Admin> => {
    if (admin) return admin;
    const a = kafka.admin();
    try {
      await a.connect();
    } catch (e) {
      throw unreachable(o.brokers, 'connect', e);
    }
    return (admin = a);
  };
  let producer: Producer | null = null;

  const offsets = async (topic: string): Promise<Map<number, PartitionOffsets>> => {
    const a = await connectedAdmin();
    const topics = await a.listTopics();
    if (!topics.includes(topic)) return new Map();
    const list = await a.fetchTopicOffsets(topic);
    return new Map(list.map((p) => [p.partition, { low: Number(p.low), high: Number(p.high) }]));
  };

  return {
    async ensureTopic(topic, partitions, { compact }) {
      const a = await connectedAdmin();
      try {
        const exists = (await a.listTopics()).includes(topic);
        const topics = [{ topic, numPartitions: partitions, configEntries: compact ? [{ name: 'cleanup.policy', value: 'compact' }] : [] }];
        if (!exists) await a.createTopics({ waitForLeaders: true, topics });
      } catch (e) {
        // another worker or `streams add` created it at the same moment
        if (!/already exists/i.test((e as Error).message)) throw unreachable(o.brokers, `creating topic ${topic}`, e);
      }
      const meta = await a.fetchTopicMetadata({ topics: [topic] });
      return meta.topics[0]!.partitions.length;
    },
    offsets,
    async read(topic, opts = {}) {
      const ends = await offsets(topic);
      const wanted = new Map([...ends].filter(([, r]) => r.high > r.low).map(([p, r]) => [p, { ...r, from: opts.tailPerPartition ? Math.max(r.low, r.high - opts.tailPerPartition) : r.low }]));
      if (wanted.size === 0) return [];
      // A throwaway group that never commits: kafkajs reads only inside a group.
      const consumer: Consumer = kafka.consumer({ groupId: `retinastream-reader-${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 200 });
      const records: TopicRecord[] = [];
      const left = new Set(wanted.keys());
      const timeoutMs = opts.timeoutMs ?? 30_000;
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new KafkaUnreachableError(`kafka topic ${topic}: read ${records.length} records, partitions ${[...left].join(',')} not read to their end within ${timeoutMs} ms`)), timeoutMs);
          consumer
            .run({
              autoCommit: false,
              eachMessage: async ({ partition, message }) => {
                const w = wanted.get(partition);
                const offset = Number(message.offset);
                if (!w || offset < w.from || offset >= w.high) return;
                records.push({ partition, offset, key: message.key?.toString() ?? '', value: message.value === null ? null : message.value.toString() });
                if (offset >= w.high - 1) left.delete(partition);
                if (left.size === 0) {
                  clearTimeout(timer);
                  resolve();
                }
              },
            })
            .then(() => {
              for (const [partition, w] of wanted) if (w.from > w.low) consumer.seek({ topic, partition, offset: String(w.from) });
            })
            .catch((e) => {
              clearTimeout(timer);
              reject(unreachable(o.brokers, `reading ${topic}`, e));
            });
        });
      } finally {
        await consumer.disconnect().catch(() => {});
      }
      return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    },
    async put(topic, key, value) {
      try {
        if (!producer) {
          // acks from all in-sync replicas; a plain producer (one record at a time, no idempotence warning)
          const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
          await p.connect();
          producer = p;
        }
        await producer.send({ topic, acks: -1, messages: [{ key, value }] });
      } catch (e) {
        throw unreachable(o.brokers, `writing to ${topic}`, e);
      }
    },
    async close() {
      await Promise.all([producer?.disconnect().catch(() => {}), admin?.disconnect().catch(() => {})]);
    },
  };
}

/** Streams the records of `topics` from their beginning (a throwaway group that never commits) until stop(). */
export async function tailTopics(o: KafkaClientOptions, topics: string[], onRecord: (topic: string, record: TopicRecord) => void): Promise<{ stop(): Promise<void> }> {
  const consumer = kafkaFor(o).consumer({ groupId: `retinastream-tail-${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 100 });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) =>
        onRecord(topic, { partition, offset: Number(message.offset), key: message.key?.toString() ?? '', value: message.value === null ? null : message.value.toString() }),
    });
  } catch (e) {
    await consumer.disconnect().catch(() => {});
    throw unreachable(o.brokers, `reading ${topics.join(',')}`, e);
  }
  return { stop: () => consumer.disconnect().catch(() => {}) };
}

/** What a group member hears: its partitions after each rebalance, the records of those partitions, liveness. */
export interface GroupHandlers {
  /** The partitions this member owns after a rebalance, with their offsets at that moment (records follow from `low`). */
  onAssign(partitions: number[], offsets: Map<number, PartitionOffsets>): void;
  onRecord(record: TopicRecord): void;
  /** A heartbeat or join succeeded: the group still counts this member. */
  onContact(): void;
  /** The consumer crashed (e.g. Kafka unreachable); kafkajs restarts it when `restarting`. */
  onCrash(error: Error, restarting: boolean): void;
}

export interface GroupMemberOptions extends KafkaClientOptions {
  groupId: string;
  topic: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Sent in each join: this member's name and the partitions it runs now (what keeps the assignment sticky). */
  membership: () => { worker: string; owned: number[] };
}

export interface GroupMember {
  /** Joins the group; rejects when Kafka cannot be reached. */
  start(handlers: GroupHandlers): Promise<void>;
  /** Leaves the group (the others rebalance at once, without waiting for the session timeout). */
  stop(): Promise<void>;
}

interface MemberUserData {
  worker: string;
  owned: number[];
}

/** kafkajs PartitionAssigner around stickyAssign(); the members' join metadata carries what they own. */
function stickyAssigner(membership: GroupMemberOptions['membership']): PartitionAssigner {
  return ({ cluster }) => ({
    name: 'RetinastreamSticky',
    version: 1,
    async assign({ members, topics }) {
      const byTopic = new Map<string, Map<string, number[]>>();
      for (const topic of topics) {
        const partitions = cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId);
        const owners = members.map((m) => {
          let data: MemberUserData = { worker: '', owned: [] };
          try {
            const meta = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
            if (meta?.userData?.length) data = JSON.parse(meta.userData.toString()) as MemberUserData;
          } catch {
            // a member with unreadable metadata owns nothing
          }
          return { id: m.memberId, owned: Array.isArray(data.owned) ? data.owned.filter(Number.isInteger) : [] };
        });
        byTopic.set(topic, stickyAssign(owners, partitions));
      }
      return members.map((m) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: Object.fromEntries(topics.map((t) => [t, byTopic.get(t)!.get(m.memberId) ?? []])),
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return { name: 'RetinastreamSticky', metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.from(JSON.stringify(membership())) }) };
    },
  });
}

export function createGroupMember(o: GroupMemberOptions): GroupMember {
  const kafka = kafkaFor(o);
  const consumer = kafka.consumer({
    groupId: o.groupId,
    sessionTimeout: o.sessionTimeoutMs,
    // a member that does not rejoin within the session timeout is dropped from the rebalance
    rebalanceTimeout: o.sessionTimeoutMs,
    heartbeatInterval: o.heartbeatIntervalMs,
    maxWaitTimeInMs: Math.min(500, o.heartbeatIntervalMs),
    partitionAssigners: [stickyAssigner(o.membership)],
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 3000 },
  });
  const store = createRegistryStore(o);
  let ready: Promise<void> = Promise.resolve();
  let stopped = false;

  return {
    async start(h) {
      consumer.on(consumer.events.HEARTBEAT, () => h.onContact());
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        h.onContact();
        const partitions = [...(e.payload.memberAssignment[o.topic] ?? [])].sort((a, b) => a - b);
        // records of the new generation wait until its offsets are known
        ready = store
          .offsets(o.topic)
          .catch((err: Error) => {
            // ends unknown: the partitions are read until the worker's catch-up timeout
            o.log?.('warn', `offsets of ${o.topic} unknown (${err.message}); reading its partitions until they go quiet`);
            return new Map(partitions.map((p) => [p, { low: 0, high: Number.MAX_SAFE_INTEGER }]));
          })
          .then((offsets) => h.onAssign(partitions, offsets));
      });
      consumer.on(consumer.events.CRASH, (e) => {
        if (!stopped) h.onCrash(e.payload.error, e.payload.restart);
      });
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
      } catch (e) {
        throw unreachable(o.brokers, `joining group ${o.groupId}`, e);
      }
      // never commits: every (re)assignment reads its partitions from the start (the registry is small)
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          await ready;
          h.onRecord({ partition, offset: Number(message.offset), key: message.key?.toString() ?? '', value: message.value === null ? null : message.value.toString() });
        },
      });
    },
    async stop() {
      stopped = true;
      await consumer.disconnect().catch(() => {});
      await store.close();
    },
  };
}
