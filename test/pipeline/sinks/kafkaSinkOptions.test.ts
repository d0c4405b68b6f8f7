// Kafka sink and producer without a broker: option checks, topic templates, backoff, and close()
// giving up on an unreachable Kafka (a real kafkajs producer pointed at a port nobody listens on).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DetectionEvent } from '../../../src/pipeline/types.ts';
import { createKafkajsProducer } from '../../../src/pipeline/kafkaClient.ts';
import { backoffDelay, createKafkaSink, topicTemplate } from '../../../src/pipeline/sinks/kafkaSink.ts';
import { freePort } from '../../helpers/kafkaBroker.ts';

const event = (streamId: string, frameNumber: number): DetectionEvent => ({
  schemaVersion: 1,
  type: 'detections',
  streamId,
  frameNumber,
  pts: frameNumber / 25,
  captureTime: '2026-01-01T00:00:00.000Z',
  emitTime: '2026-01-01T00:00:00.030Z',
  latencyMs: 30,
  source: { width: 640, height: 480 },
  model: { name: 'retinanet', weightsHash: 'x' },
  detections: [],
  droppedFrames: 0,
});

const optionError = (pattern: RegExp) => (err: unknown) => {
  assert.equal((err as { code?: string }).code, 'RS_ERR_KAFKA_OPTION');
  assert.match((err as Error).message, pattern);
  return true;
};

test('topic templates put the stream id in place of {stream}, with illegal characters replaced', () => {
  assert.equal(topicTemplate('topic', 'detections')('cam-1'), 'detections');
  const perStream = topicTemplate('topic', 'rs.{stream}.det');
  assert.equal(perStream('cam-1'), 'rs.cam-1.det');
  assert.equal(perStream('rtsp://10.0.0.1/live 2'), 'rs.rtsp___10.0.0.1_live_2.det');
  assert.equal(perStream('x'.repeat(300)).length, 249);
});

test('a template that cannot make a legal topic name is rejected, naming the option', () => {
  assert.throws(() => topicTemplate('topic', 'bad topic'), optionError(/^kafka topic "bad topic": expected a topic name/));
  assert.throws(() => topicTemplate('statusTopic', '..'), optionError(/statusTopic/));
  assert.throws(() => topicTemplate('topic', ''), optionError(/topic ""/));
});

test('sink options out of range fail with one line naming the option', async () => {
  const producer = createKafkajsProducer({ brokers: ['127.0.0.1:1'] });
  assert.throws(() => createKafkaSink({ producer, bufferSize: 0 }), optionError(/bufferSize 0: expected an integer >= 1/));
  assert.throws(() => createKafkaSink({ producer, batchSize: 2.5 }), optionError(/batchSize 2.5/));
  assert.throws(() => createKafkaSink({ producer, lingerMs: -1 }), optionError(/lingerMs -1: expected a number >= 0/));
  assert.throws(() => createKafkaSink({ producer, backoff: { factor: 0.5 } }), optionError(/backoff.factor 0.5/));
  assert.throws(() => createKafkaSink({ producer, topic: 'a/b' }), optionError(/kafka topic "a\/b"/));
  assert.throws(() => createKafkaSink({ producer: undefined as never }), optionError(/producer/));
});

test('the producer rejects a broker list that is empty or lacks ports', () => {
  assert.throws(() => createKafkajsProducer({ brokers: [] }), optionError(/kafka brokers \[\]/));
  assert.throws(() => createKafkajsProducer({ brokers: ['localhost'] }), optionError(/"host:port"/));
});

test('the producer rejects a compression it does not ship', () => {
  assert.throws(() => createKafkajsProducer({ brokers: ['127.0.0.1:1'], compression: 'zstd' as never }), optionError(/kafka compression "zstd"/));
});

test("kafkajs's own errors go to the log callback, prefixed, and connect() rejects when nobody listens", async () => {
  const port = await freePort();
  const lines: string[] = [];
  const producer = createKafkajsProducer({ brokers: [`127.0.0.1:${port}`], connectionTimeoutMs: 200, log: (level, m) => lines.push(`${level} ${m}`) });
  await assert.rejects(producer.connect(), /ECONNREFUSED|Connection error/);
  assert.ok(lines.length > 0);
  for (const l of lines) assert.match(l, /^(warn|error) kafkajs /);
  assert.ok(lines.some((l) => l.includes(`127.0.0.1:${port}`) || l.includes('ECONNREFUSED')), lines.join('\n'));
  await producer.disconnect();
});

test('backoff doubles from initialMs up to maxMs, jittered by the given fraction', () => {
  const b = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.2 };
  const mid = () => 0.5; // no jitter
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, b, mid)), [100, 200, 400, 800, 1000, 1000]);
  assert.equal(backoffDelay(1, b, () => 0), 80); // 100 * (1 - 0.2)
  assert.equal(backoffDelay(3, b, () => 1), 480); // 400 * (1 + 0.2)
});

test('close() gives up after closeTimeoutMs when Kafka never answers, counting the unsent events as dropped', async () => {
  const port = await freePort(); // nothing listens here: every connect is refused
  const logs: string[] = [];
  const sink = createKafkaSink({
    producer: createKafkajsProducer({ brokers: [`127.0.0.1:${port}`], connectionTimeoutMs: 200 }),
    closeTimeoutMs: 400,
    backoff: { initialMs: 20, maxMs: 100 },
    log: (level, message) => logs.push(`${level} ${message}`),
  });
  for (let f = 0; f < 10; f++) sink.write(event('cam', f));
  const started = Date.now();
  await sink.close();
  const took = Date.now() - started;
  assert.ok(took >= 350 && took < 3000, `close took ${took} ms`);
  const stats = sink.stats();
  assert.equal(stats.written, 0);
  assert.equal(stats.dropped, 10);
  assert.equal(stats.buffered, 0);
  assert.equal(stats.connected, 0);
  assert.ok(stats.sendErrors >= 1);
  assert.deepEqual(
    logs.map((l) => l.replace(/\(.*\)/, '(...)')),
    [
      'warn kafka sink: cannot reach Kafka (...); buffering up to 10000 events and retrying with backoff',
      'warn kafka sink: closed with 10 events unsent after 400 ms',
    ],
  );
  sink.write(event('cam', 10)); // after close: counted, never thrown
  assert.equal(sink.stats().dropped, 11);
});

test('write() never throws: an event that cannot be serialized is counted as dropped', async () => {
  const sink = createKafkaSink({ producer: createKafkajsProducer({ brokers: ['127.0.0.1:1'] }), closeTimeoutMs: 0, log: () => {} });
  const bad = { ...event('cam', 0), pts: 1n } as unknown as DetectionEvent; // BigInt: JSON.stringify throws
  assert.doesNotThrow(() => sink.write(bad));
  assert.equal(sink.stats().dropped, 1);
  assert.equal(sink.stats().buffered, 0);
  await sink.close();
});

test('with bufferSize 1 and that event in flight, new events are the ones dropped, each counted once', async () => {
  const port = await freePort();
  const sink = createKafkaSink({
    producer: createKafkajsProducer({ brokers: [`127.0.0.1:${port}`], connectionTimeoutMs: 200 }),
    bufferSize: 1,
    closeTimeoutMs: 0,
    backoff: { initialMs: 1000, maxMs: 1000 },
    log: () => {},
  });
  sink.write(event('cam', 0));
  const deadline = Date.now() + 5000;
  while (sink.stats().sendErrors === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  for (let f = 1; f < 5; f++) sink.write(event('cam', f));
  assert.equal(sink.stats().dropped, 4);
  assert.equal(sink.stats().buffered, 1);
  const first = sink.close();
  assert.equal(sink.close(), first, 'close() twice returns the same promise');
  await first;
  assert.equal(sink.stats().dropped, 5);
});
