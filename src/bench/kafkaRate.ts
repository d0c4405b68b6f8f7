// Kafka sink capacity: real detection events (copies of one from the pipeline, renumbered, spread over
// the streams) written into the sink as fast as it takes them, timed until the broker acknowledged all.
import { createKafkajsProducer } from '../pipeline/sinks/kafkaProducer.ts';
import { createKafkaSink } from '../pipeline/sinks/kafkaSink.ts';
import type { DetectionEvent } from '../pipeline/types.ts';
import { BenchError } from './errors.ts';

export interface KafkaRateOptions {
  bootstrap: string;
  /** The event copied (its detections make the payload size realistic). */
  sample: DetectionEvent;
  /** Events timed (after a warm-up of min(500, events) that creates the topic). */
  events: number;
  /** Stream ids the copies are spread over (the message key). */
  streams: number;
  timeoutMs?: number;
}

export interface KafkaRateResult {
  bootstrap: string;
  topic: string;
  events: number;
  acked: number;
  dropped: number;
  bytesPerEvent: number;
  seconds: number;
  eventsPerSec: number;
}

export async function measureKafkaRate(o: KafkaRateOptions): Promise<KafkaRateResult> {
  const topic = `retinastream-bench-${Date.now()}`;
  const warmup = Math.min(500, o.events);
  const producer = createKafkajsProducer({ brokers: [o.bootstrap], clientId: 'retinastream-bench' });
  const sink = createKafkaSink({ producer, topic, statusTopic: `${topic}.status`, bufferSize: o.events + warmup, log: () => undefined });
  const deadline = performance.now() + (o.timeoutMs ?? 120_000);
  const waitFor = async (n: number) => {
    while (sink.stats().written + sink.stats().dropped < n && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  };
  const copy = (i: number): DetectionEvent => ({ ...o.sample, streamId: `bench-${i % o.streams}`, frameNumber: Math.floor(i / o.streams) });
  try {
    for (let i = 0; i < warmup; i++) sink.write(copy(i));
    await waitFor(warmup);
    if (sink.stats().written < warmup) {
      throw new BenchError('RS_ERR_BENCH_KAFKA', `bench pipeline: Kafka at ${o.bootstrap} acknowledged only ${sink.stats().written}/${warmup} warm-up events in time`);
    }
    const t0 = performance.now();
    for (let i = warmup; i < warmup + o.events; i++) sink.write(copy(i));
    await waitFor(warmup + o.events);
    const seconds = (performance.now() - t0) / 1000;
    const acked = sink.stats().written - warmup;
    return {
      bootstrap: o.bootstrap, topic, events: o.events, acked, dropped: sink.stats().dropped,
      bytesPerEvent: Buffer.byteLength(JSON.stringify(o.sample)), seconds, eventsPerSec: acked / seconds,
    };
  } finally {
    await sink.close();
  }
}
