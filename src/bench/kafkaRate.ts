// Kafka sink capacity: real detection events (copies of one from the pipeline, renumbered, spread over
// the streams) written into the sink as fast as it takes them, timed until the broker acknowledged all.
// The size of an event is its number of detections: `withDetections` makes a copy with exactly N (the
// pipeline's own detections, repeated), so that the figure is for a stated payload, whatever the clip.
import { createKafkajsProducer } from '../pipeline/kafkaClient.ts';
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
  /** Detections in each event. */
  detections: number;
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
      bootstrap: o.bootstrap, detections: o.sample.detections.length, topic, events: o.events, acked, dropped: sink.stats().dropped,
      bytesPerEvent: Buffer.byteLength(JSON.stringify(o.sample)), seconds, eventsPerSec: acked / seconds,
    };
  } finally {
    await sink.close();
  }
}

/** A copy of `event` with exactly `n` detections: its own, cycled (or one made-up box if it has none). */
export function withDetections(event: DetectionEvent, n: number): DetectionEvent {
  const own = event.detections.length ? event.detections : [{ box: [12.5, 40.25, 96.75, 120.5] as [number, number, number, number], score: 0.87654, classId: 0, label: 'object' }];
  return { ...event, detections: Array.from({ length: n }, (_, i) => own[i % own.length]) };
}
