// Kafka sink: write() appends the event's JSON to a bounded buffer and returns at once; a background
// loop sends batches through an EventProducer. Key = streamId, so a stream's events land in one
// partition in order. While Kafka is unreachable the loop retries the same batch with exponential
// backoff and the buffer keeps filling; when it is full the oldest events not in flight are dropped
// and counted. Delivery on one broker is exactly once and in order per stream (idempotent producer,
// a failed batch is resent unchanged); a partial failure across several brokers can duplicate a
// resent batch (at least once). A request the broker refuses as too large (message.max.bytes) is sent
// again in halves, and later batches are kept smaller; an event too large on its own is dropped and
// counted (it can never be delivered).

import type { PipelineEvent, Sink, SinkStats } from '../types.ts';
import { errorCode } from '../../errors.ts';
import { KafkaOptionError, TOO_LARGE, type EventProducer, type ProducerMessage } from '../kafkaClient.ts';

export interface KafkaSinkBackoff {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Fraction of the delay added or removed at random: 0.2 gives delay * [0.8, 1.2). */
  jitter: number;
}

export type SinkLog = (level: 'info' | 'warn', message: string) => void;

export interface KafkaSinkOptions {
  producer: EventProducer;
  /** Topic of detection events; "{stream}" is replaced by the stream id (illegal characters -> "_"). */
  topic?: string;
  /** Topic of stream status events; "{stream}" works here too. */
  statusTopic?: string;
  /** Most events held (buffered + in flight); past it the oldest not in flight are dropped. */
  bufferSize?: number;
  /** Most events per send round (spread over as many requests as there are topics in it). */
  batchSize?: number;
  /** Wait this long for more events before sending a partial batch. */
  lingerMs?: number;
  /** Delay between attempts while Kafka does not answer. */
  backoff?: Partial<KafkaSinkBackoff>;
  /** close() stops sending after this long; what is still buffered is counted as dropped. */
  closeTimeoutMs?: number;
  log?: SinkLog;
  name?: string;
}

export interface KafkaSinkStats extends SinkStats {
  /** Events acknowledged by Kafka. */
  written: number;
  /** Events given up: buffer overflow, too large for the broker, or not acknowledged when close() timed out. */
  dropped: number;
  /** Of those, events over the broker's size limit on their own. */
  tooLarge: number;
  /** Events held now (waiting or in flight). */
  buffered: number;
  /** Failed connect/send attempts. */
  sendErrors: number;
  /** 1 after the last attempt succeeded, 0 after it failed (and before the first). */
  connected: number;
  /** ms since Kafka stopped answering (0 while it answers): /healthz reports the sink degraded past a threshold. */
  outageMs: number;
}

const DEFAULTS = {
  topic: 'detections',
  statusTopic: 'detections.status',
  bufferSize: 10000,
  batchSize: 500,
  lingerMs: 5,
  closeTimeoutMs: 10000,
  name: 'kafka',
};
const DEFAULT_BACKOFF: KafkaSinkBackoff = { initialMs: 100, maxMs: 5000, factor: 2, jitter: 0.2 };

const defaultLog: SinkLog = (level, message) => process.stderr.write(`[${level}] ${message}\n`);

/** Kafka topic names: 1-249 of [a-zA-Z0-9._-], not "." or "..". */
const LEGAL_TOPIC = /^(?!\.{1,2}$)[a-zA-Z0-9._-]{1,249}$/;

/** Builds topic(streamId) from a template; rejects a template that cannot yield a legal name. */
export function topicTemplate(option: string, template: string): (streamId: string) => string {
  if (typeof template !== 'string' || !LEGAL_TOPIC.test(template.replaceAll('{stream}', 'x'))) {
    throw new KafkaOptionError(`kafka ${option} ${JSON.stringify(template)}: expected a topic name of [a-zA-Z0-9._-] with optional {stream}`);
  }
  if (!template.includes('{stream}')) return () => template;
  const cache = new Map<string, string>();
  return (streamId) => {
    let topic = cache.get(streamId);
    if (topic === undefined) {
      topic = template.replaceAll('{stream}', streamId.replace(/[^a-zA-Z0-9._-]/g, '_')).slice(0, 249);
      cache.set(streamId, topic);
    }
    return topic;
  };
}

function checkNumber(option: string, value: number, min: number, integer: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new KafkaOptionError(`kafka sink ${option} ${JSON.stringify(value)}: expected ${integer ? 'an integer' : 'a number'} >= ${min}`);
  }
  return value;
}

export function backoffDelay(attempt: number, b: KafkaSinkBackoff, random: () => number = Math.random): number {
  const base = Math.min(b.maxMs, b.initialMs * Math.pow(b.factor, Math.max(0, attempt - 1)));
  return Math.max(0, Math.round(base * (1 + b.jitter * (2 * random() - 1))));
}

/** Options left undefined (e.g. an unset CLI flag) take the default instead of overriding it. */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

interface Entry extends ProducerMessage {
  topic: string;
  sent: boolean;
}

export function createKafkaSink(opts: KafkaSinkOptions): Sink & { stats(): KafkaSinkStats } {
  const o = { ...DEFAULTS, ...definedOnly(opts) };
  const producer = opts.producer;
  if (!producer || typeof producer.send !== 'function') throw new KafkaOptionError('kafka sink producer: expected an EventProducer');
  const detectionTopic = topicTemplate('topic', o.topic);
  const statusTopic = topicTemplate('statusTopic', o.statusTopic);
  const bufferSize = checkNumber('bufferSize', o.bufferSize, 1, true);
  // A batch never takes the whole buffer, so overflow always has an event not in flight to drop.
  const batchSize = Math.min(checkNumber('batchSize', o.batchSize, 1, true), Math.max(1, Math.floor(bufferSize / 2)));
  const lingerMs = checkNumber('lingerMs', o.lingerMs, 0, false);
  const closeTimeoutMs = checkNumber('closeTimeoutMs', o.closeTimeoutMs, 0, false);
  const backoff = { ...DEFAULT_BACKOFF, ...definedOnly(opts.backoff ?? {}) };
  for (const k of ['initialMs', 'maxMs', 'jitter'] as const) checkNumber(`backoff.${k}`, backoff[k], 0, false);
  checkNumber('backoff.factor', backoff.factor, 1, false);
  const userLog = opts.log ?? defaultLog;
  const log: SinkLog = (level, message) => {
    try {
      userLog(level, message);
    } catch {
      // a failing logger must not stop the send loop
    }
  };

  // Queue: items[head..] oldest first; the first `pinned` of them are the batch being sent, which is
  // resent unchanged after a failure (same records -> same idempotence sequence numbers).
  let items: Entry[] = [];
  let head = 0;
  let pinned = 0;
  const size = () => items.length - head;

  let written = 0;
  let dropped = 0;
  let tooLarge = 0;
  /** Events per send round now: batchSize, halved after a request was too large, growing back after. */
  let batchLimit = batchSize;
  let sendErrors = 0;
  let connected = 0;
  let producerConnected = false;
  let attempt = 0;
  let outage: { since: number; droppedBefore: number; dropWarned: boolean } | null = null;
  let overflowWarned = false;

  let closing = false;
  /** close() timed out: whatever the loop still does no longer touches the queue or counters. */
  let abandoned = false;
  let deadline = Infinity;
  let wake: (() => void) | null = null;
  let napping: 'idle' | 'linger' | 'backoff' | null = null;

  /** Sleeps until `ms` pass or wake() is called (work arrived, a batch filled up, or close). */
  const nap = (kind: 'idle' | 'linger' | 'backoff', ms: number) =>
    new Promise<void>((resolve) => {
      const timer = ms === Infinity ? undefined : setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        napping = null;
        resolve();
      }
      wake = done;
      napping = kind;
    });

  const compact = () => {
    if (head > 1024 && head * 2 > items.length) {
      items = items.slice(head);
      head = 0;
    }
  };

  /** Makes room for one event: drops the oldest not in flight; false if all are in flight. */
  const dropOldest = (): boolean => {
    if (size() <= pinned) return false;
    if (pinned === 0) {
      items[head] = undefined as unknown as Entry;
      head++;
    } else {
      items.splice(head + pinned, 1);
    }
    compact();
    return true;
  };

  const countDrop = () => {
    dropped++;
    if (outage ? !outage.dropWarned : !overflowWarned) {
      if (outage) outage.dropWarned = true;
      else overflowWarned = true;
      log('warn', `kafka sink: buffer full (${bufferSize} events), dropping the oldest until Kafka catches up`);
    }
  };

  /**
   * Sends one topic's entries in order; a request over the broker's size limit goes again in halves
   * (nothing of it was written), and an entry too large on its own is dropped and counted. Returns
   * whether any request was too large.
   */
  const sendGroup = async (topic: string, group: Entry[]): Promise<boolean> => {
    try {
      await producer.send(topic, group.map((e) => ({ key: e.key, value: e.value })));
    } catch (err) {
      if (errorCode(err) !== TOO_LARGE || abandoned) throw err;
      if (group.length === 1) {
        group[0].sent = true; // settled: leaves the queue, counted as dropped, not written
        tooLarge++;
        dropped++;
        log('warn', `kafka sink: an event of stream ${group[0].key} (${Buffer.byteLength(group[0].value)} bytes) is over the broker's size limit (message.max.bytes); dropped`);
        return true;
      }
      const half = Math.ceil(group.length / 2);
      await sendGroup(topic, group.slice(0, half));
      await sendGroup(topic, group.slice(half));
      batchLimit = Math.max(1, Math.min(batchLimit, half));
      return true;
    }
    if (abandoned) return false;
    for (const e of group) e.sent = true;
    written += group.length;
    return false;
  };

  /** Sends the pinned batch, one request per topic in order of first appearance; keeps what failed pinned. */
  const sendPinned = async () => {
    const batch = items.slice(head, head + pinned);
    const byTopic = new Map<string, Entry[]>();
    for (const e of batch) {
      const group = byTopic.get(e.topic);
      if (group) group.push(e);
      else byTopic.set(e.topic, [e]);
    }
    let split = false;
    try {
      for (const [topic, group] of byTopic) {
        split = (await sendGroup(topic, group)) || split;
        if (abandoned) return;
      }
      if (!split) batchLimit = Math.min(batchSize, batchLimit + Math.max(1, Math.floor(batchLimit / 8)));
    } finally {
      if (!abandoned) settle(batch);
    }
  };

  /** Removes the acknowledged entries of the pinned batch; what failed stays pinned, in order. */
  const settle = (batch: Entry[]) => {
    const remaining = batch.filter((e) => !e.sent);
    const done = pinned - remaining.length;
    for (let i = 0; i < remaining.length; i++) items[head + done + i] = remaining[i]!;
    items.fill(undefined as unknown as Entry, head, head + done); // let the sent ones be collected
    head += done;
    pinned = remaining.length;
    compact();
  };

  const onSuccess = () => {
    connected = 1;
    attempt = 0;
    if (outage) {
      const secs = ((Date.now() - outage.since) / 1000).toFixed(1);
      log('info', `kafka sink: Kafka answers again after ${secs} s; ${dropped - outage.droppedBefore} events dropped meanwhile`);
      outage = null;
    }
    if (size() === 0) overflowWarned = false;
  };

  const onFailure = (err: unknown) => {
    sendErrors++;
    connected = 0;
    attempt++;
    if (!outage) {
      outage = { since: Date.now(), droppedBefore: dropped, dropWarned: overflowWarned };
      const reason = err instanceof Error ? err.message : String(err);
      log('warn', `kafka sink: cannot reach Kafka (${reason}); buffering up to ${bufferSize} events and retrying with backoff`);
    }
  };

  const run = async () => {
    while (true) {
      if (closing && Date.now() >= deadline) break;
      if (size() === 0) {
        if (closing) break;
        await nap('idle', Infinity);
        continue;
      }
      if (pinned === 0) {
        if (!closing && lingerMs > 0 && size() < batchLimit) await nap('linger', lingerMs);
        pinned = Math.min(batchLimit, size());
      }
      try {
        if (!producerConnected) {
          await producer.connect();
          producerConnected = true;
        }
        await sendPinned();
        onSuccess();
      } catch (err) {
        onFailure(err);
        const delay = backoffDelay(attempt, backoff);
        await nap('backoff', closing ? Math.max(0, Math.min(delay, deadline - Date.now())) : delay);
      }
    }
  };
  const loop = run();

  /** Flushes until the buffer is empty or closeTimeoutMs passes, counts the rest as dropped, disconnects. */
  const shutdown = async (): Promise<void> => {
    closing = true;
    deadline = Date.now() + closeTimeoutMs;
    wake?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([loop, new Promise((r) => (timer = setTimeout(r, closeTimeoutMs + 50)))]);
    clearTimeout(timer);
    abandoned = true;
    const unsent = size();
    if (unsent > 0) {
      dropped += unsent;
      items = [];
      head = 0;
      pinned = 0;
      log('warn', `kafka sink: closed with ${unsent} events unsent after ${closeTimeoutMs} ms`);
    }
    await Promise.race([producer.disconnect().catch(() => {}), new Promise((r) => setTimeout(r, 5000).unref())]);
  };
  let closePromise: Promise<void> | undefined;

  const sink = {
    name: o.name,
    write(event: PipelineEvent): void {
      if (closing) {
        dropped++;
        return;
      }
      let entry: Entry;
      try {
        const topic = event.type === 'detections' ? detectionTopic(event.streamId) : statusTopic(event.streamId); // status and error events
        entry = { topic, key: event.streamId, value: JSON.stringify(event), sent: false };
      } catch {
        dropped++;
        return;
      }
      if (size() >= bufferSize) {
        countDrop();
        // Everything held is in flight (only with bufferSize 1): the new event is the one to go.
        if (!dropOldest()) return;
      }
      items.push(entry);
      if (napping === 'idle' || (napping === 'linger' && size() >= batchLimit)) wake?.();
    },
    close(): Promise<void> {
      closePromise ??= shutdown();
      return closePromise;
    },
    stats(): KafkaSinkStats {
      return { written, dropped, tooLarge, buffered: size(), sendErrors, connected, outageMs: outage ? Date.now() - outage.since : 0 };
    },
  };

  return sink;
}
