// WebSocket fan-out benchmark: one server with the ws sink, N local clients subscribed to
// everything, events published at a fixed rate. Reports delivery latency (sink.write() to the
// client's 'message' event, both in this process), messages per second delivered, and drops.
//
//   node --import tsx scripts/bench/wsFanout.ts --clients 500 --events 1000 --rate 100 [--detections 10] [--json]
//
// Clients run in the same process (and on the same cores) as the server, so the numbers are a
// lower bound on what the sink alone can do; they are for comparing changes, not for capacity planning.

import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { startHttpServer } from '../../src/pipeline/http/server.ts';
import { createMetrics } from '../../src/pipeline/metrics/metrics.ts';
import { createWsSink } from '../../src/pipeline/sinks/wsSink.ts';
import type { DetectionEvent } from '../../src/pipeline/types.ts';

export interface WsFanoutOptions {
  /** Connected clients (default 500). */
  clients?: number;
  /** Events published (default 1000). */
  events?: number;
  /** Events per second (default 100). */
  rate?: number;
  /** Detections per event (default 10; ~90 bytes each on the wire). */
  detections?: number;
  /** Per-client send buffer limit of the sink (default: the sink's, 1 MiB). */
  maxBufferedBytes?: number;
  /** Give up waiting for deliveries this long after the last publish (default 10000 ms). */
  settleTimeoutMs?: number;
}

export interface WsFanoutResult {
  clients: number;
  events: number;
  rate: number;
  bytesPerEvent: number;
  /** clients x events */
  expected: number;
  delivered: number;
  /** Messages the sink dropped for clients that fell behind. */
  dropped: number;
  /** Neither delivered nor counted as dropped when the wait ended (should be 0). */
  missing: number;
  /** From the first publish to the last delivery. */
  durationMs: number;
  messagesPerSec: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

export class BenchOptionsError extends Error {
  readonly code = 'RS_ERR_BENCH_OPTIONS';
}

export async function benchWsFanout(opts: WsFanoutOptions = {}): Promise<WsFanoutResult> {
  const clients = opts.clients ?? 500;
  const events = opts.events ?? 1000;
  const rate = opts.rate ?? 100;
  const nDet = opts.detections ?? 10;
  for (const [k, v] of Object.entries({ clients, events, detections: nDet })) {
    if (!Number.isInteger(v) || v < (k === 'detections' ? 0 : 1)) throw new BenchOptionsError(`bench ws-fanout: ${k} ${v} must be a positive integer`);
  }
  if (!(rate > 0)) throw new BenchOptionsError(`bench ws-fanout: rate ${rate} must be > 0 events per second`);

  const metrics = createMetrics({ defaultMetrics: false });
  const http = await startHttpServer({ port: 0, metrics, health: () => ({ ready: true, modelLoaded: true, streams: {} }) });
  const sink = createWsSink({ server: http.server, metrics, maxClients: clients, maxBufferedBytes: opts.maxBufferedBytes });
  const sentAt = new Float64Array(events);
  const latencies = new Float64Array(clients * events);
  let delivered = 0;
  let lastDelivery = 0;
  const sockets: WebSocket[] = [];
  try {
    // Connect in waves so the accept queue and the handshakes do not time out on a busy machine.
    for (let i = 0; i < clients; i += 50) {
      const wave = Math.min(50, clients - i);
      await Promise.all(Array.from({ length: wave }, () => connect(`ws://127.0.0.1:${http.port}/ws`, sockets)));
    }
    for (const ws of sockets) {
      ws.on('message', (data) => {
        const now = performance.now();
        const m = /"frameNumber":(\d+)/.exec(String(data));
        if (!m) return; // notices
        latencies[delivered++] = now - sentAt[Number(m[1])];
        lastDelivery = now;
      });
    }

    const dets = Array.from({ length: nDet }, (_, i) => ({
      box: [10 * i, 20, 10 * i + 50, 120] as [number, number, number, number], score: 0.9 - i / 100, classId: i % 80, label: `class${i % 80}`,
    }));
    const start = performance.now();
    let sent = 0;
    let bytesPerEvent = 0;
    while (sent < events) {
      const due = Math.min(events, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
      while (sent < due) {
        const ev = event(sent, dets);
        if (sent === 0) bytesPerEvent = Buffer.byteLength(JSON.stringify(ev));
        sentAt[sent] = performance.now();
        sink.write(ev);
        sent++;
      }
      if (sent < events) await sleep(start + (sent * 1000) / rate - performance.now());
    }

    const expected = clients * events;
    const settleBy = performance.now() + (opts.settleTimeoutMs ?? 10000);
    while (delivered + sink.stats().dropped < expected && performance.now() < settleBy) await sleep(10);
    const dropped = sink.stats().dropped;
    const lat = latencies.slice(0, delivered).sort();
    const q = (p: number) => (lat.length ? lat[Math.max(0, Math.ceil(p * lat.length) - 1)] : NaN);
    const durationMs = (lastDelivery || performance.now()) - start;
    return {
      clients, events, rate, bytesPerEvent, expected, delivered, dropped, missing: expected - delivered - dropped, durationMs,
      messagesPerSec: durationMs > 0 ? (delivered * 1000) / durationMs : 0,
      latencyMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: lat.length ? lat[lat.length - 1] : NaN },
    };
  } finally {
    for (const ws of sockets) ws.terminate();
    await sink.close();
    await http.close();
  }
}

export function formatWsFanout(r: WsFanoutResult): string {
  const f = (n: number) => n.toFixed(1);
  return [
    `ws fan-out: ${r.clients} clients, ${r.events} events at ${r.rate}/s, ${r.bytesPerEvent} bytes/event`,
    `  delivered ${r.delivered}/${r.expected} (${f(r.messagesPerSec)} msg/s), dropped ${r.dropped}, missing ${r.missing}`,
    `  latency p50 ${f(r.latencyMs.p50)} ms, p95 ${f(r.latencyMs.p95)} ms, p99 ${f(r.latencyMs.p99)} ms, max ${f(r.latencyMs.max)} ms`,
  ].join('\n');
}

function connect(url: string, into: WebSocket[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('message', () => {
      into.push(ws);
      resolve();
    }); // the hello frame
    ws.once('error', (err) => reject(new Error(`bench ws-fanout: client could not connect to ${url}: ${err.message}`)));
  });
}

function event(frameNumber: number, detections: DetectionEvent['detections']): DetectionEvent {
  const t = new Date().toISOString();
  return {
    schemaVersion: 1, type: 'detections', streamId: 'bench', frameNumber, pts: frameNumber / 25, captureTime: t, emitTime: t, latencyMs: 0,
    source: { width: 1920, height: 1080 }, model: { name: 'bench', weightsHash: '0' }, detections, droppedFrames: 0,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string' }, events: { type: 'string' }, rate: { type: 'string' }, detections: { type: 'string' }, json: { type: 'boolean' },
    },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const result = await benchWsFanout({ clients: num(values.clients), events: num(values.events), rate: num(values.rate), detections: num(values.detections) });
  console.log(values.json ? JSON.stringify(result) : formatWsFanout(result));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
