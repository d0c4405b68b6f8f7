// The pipeline with the WebSocket sink and N local clients subscribed to everything: how long an event
// takes from the sink's write() to each client's 'message' (clients and server share this process and
// its cores, so this is an upper bound on what a remote client sees from the server's side).
import { WebSocket } from 'ws';
import { startHttpServer } from '../pipeline/http/server.ts';
import { createMetrics } from '../pipeline/metrics/metrics.ts';
import { createWsSink } from '../pipeline/sinks/wsSink.ts';
import type { PipelineEvent, Sink } from '../pipeline/types.ts';
import { summarize, type LatencySummary } from './quantiles.ts';
import { runBenchPipeline, type BenchRunOptions, type BenchRunResult } from './runPipeline.ts';
import { BenchError } from './errors.ts';

export interface WsFanoutRunResult {
  clients: number;
  /** Detection messages clients should have got (events x clients). */
  expected: number;
  delivered: number;
  /** Messages the sink dropped for clients that fell behind. */
  dropped: number;
  /** write() to the client's 'message' event, per message. */
  latencyMs: LatencySummary;
  run: BenchRunResult;
}

const key = (streamId: string, frameNumber: number) => `${streamId}\u0000${frameNumber}`;
const EVENT_ID = /^\{"schemaVersion":1,"type":"detections","streamId":"((?:[^"\\]|\\.)*)","frameNumber":(\d+)/;

export async function runWithWsClients(o: Omit<BenchRunOptions, 'sinks'>, clients: number, settleTimeoutMs = 10_000): Promise<WsFanoutRunResult> {
  const metrics = createMetrics({ defaultMetrics: false });
  const http = await startHttpServer({ port: 0, metrics, health: () => ({ ready: true, modelLoaded: true, streams: {} }) });
  const ws = createWsSink({ server: http.server, metrics, maxClients: clients + 1 });
  const sockets: WebSocket[] = [];
  const writtenAt = new Map<string, number>();
  const latencies: number[] = [];
  try {
    // in waves, so the accept queue and the handshakes do not time out on a busy machine
    for (let i = 0; i < clients; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, clients - i) }, () => connect(`ws://127.0.0.1:${http.port}/ws`, sockets)));
    }
    for (const s of sockets) {
      s.on('message', (data) => {
        const now = performance.now();
        // only the head of the message names the event: decoding all of it (8 KB x 20k messages/s) would
        // charge the measuring clients' work to the pipeline, which shares their cores
        const head = Buffer.isBuffer(data) ? data.toString('utf8', 0, 256) : String(data);
        const m = EVENT_ID.exec(head);
        if (!m) return; // status events, notices
        const t = writtenAt.get(key(JSON.parse(`"${m[1]}"`) as string, Number(m[2])));
        if (t !== undefined) latencies.push(now - t);
      });
    }
    const stamp: Sink = {
      name: 'stamp',
      write(e: PipelineEvent) {
        if (e.type === 'detections') writtenAt.set(key(e.streamId, e.frameNumber), performance.now());
      },
      close: async () => undefined,
      stats: () => ({ written: 0, dropped: 0 }),
    };
    const run = await runBenchPipeline({ ...o, sinks: [stamp, ws] });
    const expected = run.events * clients;
    const settleBy = performance.now() + settleTimeoutMs;
    while (latencies.length + ws.stats().dropped < expected && performance.now() < settleBy) await sleep(20);
    return { clients, expected, delivered: latencies.length, dropped: ws.stats().dropped, latencyMs: summarize(latencies), run };
  } finally {
    for (const s of sockets) s.terminate();
    await ws.close();
    await http.close();
  }
}

function connect(url: string, into: WebSocket[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = new WebSocket(url);
    s.once('message', () => {
      into.push(s);
      resolve();
    }); // the hello frame
    s.once('error', (err) => reject(new BenchError('RS_ERR_BENCH_WS', `bench pipeline: WebSocket client could not connect to ${url}: ${err.message}`)));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
