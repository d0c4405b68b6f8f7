// The Kafka sink against a real single-node Kafka broker (KRaft), for each version in
// TESTED_KAFKA_VERSIONS: every event comes back, in order per stream, schema-valid; a broker outage
// loses nothing; an overflow drops exactly what is missing. Needs scripts/setup/kafka.sh (skipped
// with a message when the jars are absent, unless CI is set).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { Kafka, logLevel } from 'kafkajs';
import type { DetectionEvent, PipelineEvent, StreamStatusEvent } from '../../../src/pipeline/types.ts';
import { createKafkajsProducer } from '../../../src/pipeline/kafkaClient.ts';
import { createKafkaSink, type KafkaSinkOptions } from '../../../src/pipeline/sinks/kafkaSink.ts';
import { kafkaJarsPresent, kafkaVersionsUnderTest, REPO_ROOT, startBroker, type Broker } from '../../helpers/kafkaBroker.ts';

const schema = JSON.parse(readFileSync(`${REPO_ROOT}/schema/detection-event.v1.schema.json`, 'utf8'));
const ajv = new Ajv2020.default({ allErrors: true });
ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)));
const validate = ajv.compile(schema);

function detectionEvent(streamId: string, frameNumber: number): DetectionEvent {
  const capture = Date.UTC(2026, 0, 1) + frameNumber * 40;
  return {
    schemaVersion: 1,
    type: 'detections',
    streamId,
    frameNumber,
    pts: frameNumber / 25,
    captureTime: new Date(capture).toISOString(),
    emitTime: new Date(capture + 35).toISOString(),
    latencyMs: 35,
    source: { width: 1280, height: 720 },
    model: { name: 'retinanet_resnet50_fpn', weightsHash: 'sha256:0123abcd' },
    detections: Array.from({ length: frameNumber % 4 }, (_, i) => ({
      box: [10 * i, 20, 10 * i + 50, 120] as [number, number, number, number],
      score: 0.5 + i / 10,
      classId: i,
      label: ['person', 'bicycle', 'car'][i]!,
    })),
    droppedFrames: 0,
  };
}

function statusEvent(streamId: string, state: StreamStatusEvent['state'], previousState: StreamStatusEvent['previousState']): StreamStatusEvent {
  return { schemaVersion: 1, type: 'status', streamId, state, previousState, time: new Date().toISOString(), reason: 'test' };
}

interface Received {
  topic: string;
  key: string;
  event: PipelineEvent;
}

/** Reads `count` messages from `topics` from the beginning with a real kafkajs consumer. */
async function consume(bootstrap: string, topics: string[], count: number, timeoutMs = 30_000): Promise<Received[]> {
  const kafka = new Kafka({ clientId: 'sink-test-reader', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `reader-${Math.random().toString(36).slice(2)}`, maxWaitTimeInMs: 100 });
  const out: Received[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${count} messages from ${topics.join(',')} in ${timeoutMs} ms`)), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ topic, message }) => {
            out.push({ topic, key: String(message.key), event: JSON.parse(String(message.value)) });
            if (out.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** Messages stored in `topics` (sum of high watermarks): catches duplicates the reader stopped short of. */
async function storedCount(bootstrap: string, topics: string[]): Promise<number> {
  const admin = new Kafka({ clientId: 'sink-test-admin', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    let total = 0;
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low);
    }
    return total;
  } finally {
    await admin.disconnect();
  }
}

async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Frame numbers per stream, in arrival order. */
function framesByStream(received: Received[]): Map<string, number[]> {
  const by = new Map<string, number[]>();
  for (const r of received) {
    if (r.event.type !== 'detections') continue;
    const list = by.get(r.event.streamId) ?? [];
    list.push(r.event.frameNumber);
    by.set(r.event.streamId, list);
  }
  return by;
}

function assertStrictlyIncreasing(stream: string, frames: number[]): void {
  for (let i = 1; i < frames.length; i++) {
    assert.ok(frames[i]! > frames[i - 1]!, `stream ${stream}: frame ${frames[i]} came after ${frames[i - 1]}`);
  }
}

function makeSink(broker: Broker, extra: Partial<KafkaSinkOptions>, logs: string[]) {
  const producer = createKafkajsProducer({ brokers: [broker.bootstrap], clientId: 'sink-test', connectionTimeoutMs: 1000 });
  return createKafkaSink({
    producer,
    backoff: { initialMs: 50, maxMs: 500 },
    log: (level, message) => logs.push(`${level} ${message}`),
    ...extra,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const version of kafkaVersionsUnderTest()) {
  const missing = !kafkaJarsPresent(version);
  const skip = missing && !process.env.CI ? `Kafka ${version} jars missing: run scripts/setup/kafka.sh` : false;

  describe(`Kafka sink against a real Kafka ${version} broker (KRaft)`, { skip }, () => {
    let broker: Broker;
    before(async () => {
      broker = await startBroker({ version }); // throws RS_ERR_KAFKA_JARS_MISSING under CI when absent
    });
    after(async () => {
      await broker?.close();
    });

    test('delivers every event of several streams, in order per stream, schema-valid, to templated topics', async () => {
      const streams = ['cam-1', 'cam/2', 'lobby.3'];
      const perStream = 800;
      const logs: string[] = [];
      const sink = makeSink(broker, { topic: 'rt.{stream}.det', statusTopic: 'rt.status', batchSize: 200 }, logs);
      const statuses = streams.map((s) => statusEvent(s, 'live', 'connecting'));
      for (const s of statuses) sink.write(s);
      for (let f = 0; f < perStream; f++) {
        for (const s of streams) sink.write(detectionEvent(s, f));
        if (f % 100 === 99) await sleep(5); // arrive in bursts, as frames do
      }
      for (const s of streams) sink.write(statusEvent(s, 'ended', 'live'));
      const total = streams.length * perStream + 2 * streams.length;
      await sink.close();
      // (sendErrors may be > 0: a send to a topic still being auto-created can outlast kafkajs's retries.)
      const { written, dropped, buffered, connected } = sink.stats();
      assert.deepEqual({ written, dropped, buffered, connected }, { written: total, dropped: 0, buffered: 0, connected: 1 });

      const detTopics = ['rt.cam-1.det', 'rt.cam_2.det', 'rt.lobby.3.det'];
      const topics = [...detTopics, 'rt.status'];
      const received = await consume(broker.bootstrap, topics, total);
      assert.equal(received.length, total);
      assert.equal(await storedCount(broker.bootstrap, topics), total, 'no duplicates stored');

      for (const r of received) {
        assert.ok(validate(r.event), `${r.topic}: ${ajv.errorsText(validate.errors)}`);
        assert.equal(r.key, r.event.streamId, 'key is the stream id');
        const expectedTopic = r.event.type === 'status' ? 'rt.status' : `rt.${r.event.streamId.replace('/', '_')}.det`;
        assert.equal(r.topic, expectedTopic);
      }
      const frames = framesByStream(received);
      for (const s of streams) {
        assert.deepEqual(frames.get(s), Array.from({ length: perStream }, (_, i) => i), `stream ${s}: every frame once, in order`);
      }
      const states = received.filter((r) => r.event.type === 'status').map((r) => `${r.event.streamId}:${(r.event as StreamStatusEvent).state}`);
      for (const s of streams) assert.deepEqual(states.filter((x) => x.startsWith(`${s}:`)), [`${s}:live`, `${s}:ended`]);
      assert.deepEqual(logs.filter((l) => l.includes('buffer full') || l.includes('unsent')), []);
    });

    test('keeps buffering through a broker outage and loses nothing once it is back', async () => {
      const streams = ['a', 'b', 'c'];
      const next = new Map(streams.map((s) => [s, 0]));
      const logs: string[] = [];
      const sink = makeSink(broker, { topic: 'outage.{stream}', bufferSize: 5000, batchSize: 100 }, logs);
      const burst = (perStream: number) => {
        for (let i = 0; i < perStream; i++) {
          for (const s of streams) {
            const f = next.get(s)!;
            sink.write(detectionEvent(s, f));
            next.set(s, f + 1);
          }
        }
      };

      burst(100);
      await until('first events written', () => sink.stats().written === 300);
      await broker.stop();
      for (let i = 0; i < 10; i++) {
        burst(40); // 1200 events while the broker is down, fewer than bufferSize
        await sleep(100);
      }
      await until('the sink to notice the outage', () => sink.stats().connected === 0 && sink.stats().sendErrors > 0);
      assert.ok(sink.stats().buffered >= 1000, `buffered ${sink.stats().buffered}`);
      await broker.restart();
      burst(50);
      const total = 300 + 1200 + 150;
      await until('everything written after the restart', () => sink.stats().written === total, 60_000);
      await sink.close();
      const stats = sink.stats();
      assert.equal(stats.dropped, 0);
      assert.equal(stats.buffered, 0);
      assert.equal(stats.connected, 1);

      const topics = streams.map((s) => `outage.${s}`);
      const received = await consume(broker.bootstrap, topics, total);
      assert.equal(await storedCount(broker.bootstrap, topics), total, 'nothing lost, nothing duplicated');
      const frames = framesByStream(received);
      for (const s of streams) {
        assertStrictlyIncreasing(s, frames.get(s)!);
        assert.equal(frames.get(s)!.length, next.get(s));
      }
      const outageWarnings = logs.filter((l) => l.startsWith('warn kafka sink: cannot reach Kafka'));
      assert.equal(outageWarnings.length, 1, `one warning per outage, got:\n${logs.join('\n')}`);
      assert.ok(logs.some((l) => l.startsWith('info kafka sink: Kafka answers again')), logs.join('\n'));
    });

    test("a batch over the broker's size limit goes in smaller requests; an event too large on its own is dropped and counted", async () => {
      // uncompressed, so the request size is the events' size: 8 events of ~300 KB are ~2.4 MB, over
      // the broker's default message.max.bytes (1 MiB); frame 5 alone is ~1.5 MB
      const logs: string[] = [];
      const producer = createKafkajsProducer({ brokers: [broker.bootstrap], clientId: 'sink-test', connectionTimeoutMs: 1000, compression: 'none' });
      const sink = createKafkaSink({ producer, topic: 'large', batchSize: 8, backoff: { initialMs: 50, maxMs: 500 }, log: (level, m) => logs.push(`${level} ${m}`) });
      const big = (f: number): DetectionEvent => {
        const e = detectionEvent('big', f);
        return { ...e, detections: [{ box: [1, 2, 3, 4], score: 0.9, classId: 0, label: 'x'.repeat(f === 5 ? 1_500_000 : 300_000) }] };
      };
      for (let f = 0; f < 16; f++) sink.write(big(f));
      await until('every event to be settled', () => sink.stats().written + sink.stats().dropped === 16, 60_000);
      await sink.close();
      const stats = sink.stats();
      assert.deepEqual([stats.written, stats.dropped, stats.tooLarge, stats.sendErrors], [15, 1, 1, 0]);
      const received = await consume(broker.bootstrap, ['large'], 15);
      assert.deepEqual(received.map((r) => (r.event as DetectionEvent).frameNumber), [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
      assert.equal(await storedCount(broker.bootstrap, ['large']), 15);
      assert.equal(logs.filter((l) => /over the broker's size limit/.test(l)).length, 1, logs.join('\n'));
    });

    test('drops the oldest events when the buffer overflows and counts exactly what is missing', async () => {
      await broker.kill(); // a crash this time: the restart below recovers the log
      const logs: string[] = [];
      const sink = makeSink(broker, { topic: 'overflow', bufferSize: 100, batchSize: 20 }, logs);
      const written = 400;
      const write = (from: number, to: number) => {
        for (let f = from; f < to; f++) sink.write(detectionEvent(f % 2 ? 'odd' : 'even', f));
      };
      write(0, 50);
      await until('the first batch to be in flight', () => sink.stats().sendErrors > 0, 20_000);
      write(50, written);
      const whileDown = sink.stats();
      assert.equal(whileDown.buffered, 100);
      assert.equal(whileDown.dropped, written - 100);
      await broker.restart();
      await until('the buffer to drain', () => sink.stats().buffered === 0, 60_000);
      await sink.close();
      const stats = sink.stats();
      assert.equal(stats.written + stats.dropped, written);

      const received = await consume(broker.bootstrap, ['overflow'], stats.written);
      assert.equal(await storedCount(broker.bootstrap, ['overflow']), stats.written);
      const got = received.map((r) => (r.event as DetectionEvent).frameNumber).sort((x, y) => x - y);
      // The newest events survive, plus the first batch, which was in flight (pinned) when the buffer filled.
      const firstBatch = Array.from({ length: 20 }, (_, i) => i);
      const newest = Array.from({ length: 80 }, (_, i) => written - 80 + i);
      assert.deepEqual(got, [...firstBatch, ...newest]);
      for (const [s, frames] of framesByStream(received)) assertStrictlyIncreasing(s, frames);
      assert.equal(logs.filter((l) => l.startsWith('warn kafka sink: buffer full')).length, 1, logs.join('\n'));
    });
  });
}
